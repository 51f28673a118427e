"""Login throttling per (account, client address), with exponential backoff, in PostgreSQL.

Kept in the database, not in process memory, so it holds across every API replica. Keyed on the
pair, not on the account or the address alone: behind an ingress every user shares one address,
and a hard lock of an account lets anyone lock a named partner out before a filing. The first
`free` attempts of a pair pass; after that each attempt makes the next one wait twice as long
(`base`, 2 x `base`, … at most `cap`). A pair quiet for `FORGET_AFTER` starts over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from store.models import LoginThrottle

FORGET_AFTER = timedelta(days=1)
_SECOND: ColumnClause[Any] = literal_column("interval '1 second'")


async def admit(
    session: AsyncSession,
    key: str,
    *,
    free: int,
    base: timedelta,
    cap: timedelta,
    now: datetime,
) -> timedelta | None:
    """Count one attempt for `key` before its password is checked; None when it may go ahead,
    else how long it must wait (a refused attempt is not counted).

    One statement (an upsert that only updates a key that is not waiting), so a parallel burst
    is serialised on the row: no more than `free` attempts pass, however many arrive at once.
    `window_started_at` holds the time of the last counted attempt."""
    table = LoginThrottle.__table__
    stale = table.c.window_started_at < now - FORGET_AFTER
    attempts = case((stale, 1), else_=table.c.failures + 1)
    backoff = func.least(cap.total_seconds(), base.total_seconds() * func.power(2, attempts - free))
    statement = (
        insert(LoginThrottle)
        .values(
            key=key,
            failures=1,
            window_started_at=now,
            locked_until=now + base if free <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": attempts,
                "window_started_at": now,
                "locked_until": case((attempts >= free, now + backoff * _SECOND), else_=None),
            },
            where=table.c.locked_until.is_(None) | (table.c.locked_until <= now),
        )
        .returning(table.c.key)
    )
    if (await session.execute(statement)).first() is not None:
        return None
    until = (
        await session.execute(select(LoginThrottle.locked_until).where(LoginThrottle.key == key))
    ).scalar_one_or_none()
    # The wait may have just ended between the two statements: still ask for a second.
    return max(until - now, timedelta(seconds=1)) if until is not None else timedelta(seconds=1)


async def clear(session: AsyncSession, key: str) -> None:
    """A correct password forgets the pair's attempts."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
