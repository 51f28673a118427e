"""Stored first answers to mutating calls, keyed by (user, Idempotency-Key)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import IdempotentResponse


async def find(session: AsyncSession, user_id: uuid.UUID, key: str) -> IdempotentResponse | None:
    return await session.get(IdempotentResponse, (user_id, key))


async def remember(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    status_code: int,
    body: dict[str, Any] | None,
    request_hash: str | None = None,
) -> None:
    await session.execute(
        insert(IdempotentResponse)
        .values(
            user_id=user_id,
            key=key,
            method=method,
            path=path,
            status_code=status_code,
            body=body,
            request_hash=request_hash,
        )
        .on_conflict_do_nothing()
    )
