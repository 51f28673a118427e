"""Login throttling state: failures per user and per client address, in PostgreSQL.

Kept in the database, not in process memory, so a lockout holds across every API replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import LoginThrottle


async def locked_for(session: AsyncSession, keys: Sequence[str], now: datetime) -> timedelta | None:
    """How long the longest running lockout among `keys` still lasts, if any."""
    query = select(func.max(LoginThrottle.locked_until)).where(
        LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
    )
    until = (await session.execute(query)).scalar_one_or_none()
    return until - now if until is not None else None


async def record_failure(
    session: AsyncSession, key: str, *, limit: int, window: timedelta, now: datetime
) -> None:
    """Count a failure; the `limit`-th within `window` locks the key for `window`.

    One statement (an upsert), so concurrent failures from several replicas all count.
    """
    table = LoginThrottle.__table__
    fresh = (table.c.window_started_at < now - window) | (table.c.locked_until <= now)
    failures = case((fresh, 1), else_=table.c.failures + 1)
    statement = insert(LoginThrottle).values(
        key=key,
        failures=1,
        window_started_at=now,
        locked_until=now + window if limit <= 1 else None,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "failures": failures,
            "window_started_at": case((fresh, now), else_=table.c.window_started_at),
            "locked_until": case((failures >= limit, now + window), else_=None),
        },
    )
    await session.execute(statement)


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
