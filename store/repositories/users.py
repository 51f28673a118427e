"""Users: BPO staff and firm partners."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import User


async def create(
    session: AsyncSession,
    *,
    username: str,
    password_hash: str,
    role: str,
    firm_id: uuid.UUID | None,
    skills: list[str],
) -> User:
    user = User(
        username=username, password_hash=password_hash, role=role, firm_id=firm_id, skills=skills
    )
    session.add(user)
    await session.flush()
    return user


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    query = select(User).where(User.username == username)
    return (await session.execute(query)).scalar_one_or_none()
