"""Users: BPO staff and firm partners."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.eligibility import WorkerFacts
from domain.enums import Role
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


async def list_all(session: AsyncSession, *, limit: int = 200, offset: int = 0) -> Sequence[User]:
    query = select(User).order_by(User.username).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()


async def set_active(session: AsyncSession, user: User, active: bool) -> None:
    """Disabling also bumps the token version, so every token already issued stops working."""
    if user.active and not active:
        user.token_version += 1
    user.active = active
    await session.flush()


async def set_password(session: AsyncSession, user: User, password_hash: str) -> None:
    """A new password revokes every token issued before it (the token version moves on)."""
    user.password_hash = password_hash
    user.token_version += 1
    await session.flush()


async def revoke_tokens(session: AsyncSession, user: User) -> None:
    """Sign the user out everywhere: every token issued so far stops verifying."""
    user.token_version += 1
    await session.flush()


async def rehash_password(session: AsyncSession, user: User, password_hash: str) -> None:
    """The same password under new hashing parameters: no token is revoked."""
    user.password_hash = password_hash
    await session.flush()


def worker_facts(user: User) -> WorkerFacts:
    """The user as domain.eligibility reads them."""
    return WorkerFacts(
        user_id=str(user.id),
        role=Role(user.role),
        skills=tuple(user.skills),
        firm_id=str(user.firm_id) if user.firm_id else None,
    )
