"""The firm deadlines feed: its URL tokens, what goes in it, and each event's change counter."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, func, literal, literal_column, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import EngagementStatus
from store.models import CalendarFeedEvent, CalendarFeedToken, Engagement, Task


async def mint_token(session: AsyncSession, user_id: uuid.UUID, firm_id: uuid.UUID) -> uuid.UUID:
    """A new feed token for this user and firm; the user's earlier ones for the firm are revoked,
    so a leaked URL is fixed by minting again."""
    await revoke_tokens(session, user_id, firm_id)
    token = CalendarFeedToken(user_id=user_id, firm_id=firm_id)
    session.add(token)
    await session.flush()
    return token.id


async def revoke_tokens(session: AsyncSession, user_id: uuid.UUID, firm_id: uuid.UUID) -> int:
    result = await session.execute(
        update(CalendarFeedToken)
        .where(
            CalendarFeedToken.user_id == user_id,
            CalendarFeedToken.firm_id == firm_id,
            CalendarFeedToken.revoked_at.is_(None),
        )
        .values(revoked_at=func.now())
        .returning(CalendarFeedToken.id)
    )
    return len(result.all())


async def active_token(session: AsyncSession, token_id: uuid.UUID) -> CalendarFeedToken | None:
    query = select(CalendarFeedToken).where(
        CalendarFeedToken.id == token_id, CalendarFeedToken.revoked_at.is_(None)
    )
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class DueTask:
    id: uuid.UUID
    engagement_id: uuid.UUID
    title: str
    queue: str
    step_id: str
    priority: int
    status: str
    due_at: datetime


async def open_due_tasks(session: AsyncSession, firm_id: uuid.UUID) -> list[DueTask]:
    # Named columns, not the Task entity: loading ORM objects with their JSONB columns was most
    # of a 1,500-event feed's time.
    query = (
        select(
            Task.id,
            Task.engagement_id,
            Task.title,
            Task.queue,
            Task.step_id,
            Task.priority,
            Task.status,
            Task.due_at,
        )
        .where(
            Task.firm_id == firm_id,
            Task.status.op("IN")(literal_column("('open', 'claimed')")),
            Task.due_at.is_not(None),
        )
        .order_by(Task.due_at, Task.id)
    )
    return [
        DueTask(r.id, r.engagement_id, r.title, r.queue, r.step_id, r.priority, r.status, r.due_at)
        for r in await session.execute(query)
        if r.due_at is not None  # always: the query selects due tasks only
    ]


async def court_deadlines(session: AsyncSession, firm_id: uuid.UUID) -> Sequence[Engagement]:
    query = (
        select(Engagement)
        .where(
            Engagement.firm_id == firm_id,
            Engagement.status.in_([EngagementStatus.RUNNING, EngagementStatus.ON_HOLD]),
            Engagement.court_deadline.is_not(None),
        )
        .order_by(Engagement.court_deadline, Engagement.id)
    )
    return (await session.execute(query)).scalars().all()


_CHUNK = 1000  # rows per upsert statement (3 parameters each, far below the protocol's limit)


@dataclass(frozen=True)
class EventVersion:
    sequence: int
    modified_at: datetime


async def versions(
    session: AsyncSession, firm_id: uuid.UUID, fingerprints: Mapping[str, str]
) -> dict[str, EventVersion]:
    """What each event's SEQUENCE and LAST-MODIFIED are now, bumping them only where the event's
    content changed since the feed last said it (so an unchanged feed writes nothing).

    The conditional upsert is safe under concurrent fetches: ON CONFLICT re-checks its WHERE
    against the latest row version, so one change is counted once.
    """
    rows = await session.execute(
        select(
            CalendarFeedEvent.uid,
            CalendarFeedEvent.fingerprint,
            CalendarFeedEvent.sequence,
            CalendarFeedEvent.modified_at,
        ).where(
            CalendarFeedEvent.firm_id == firm_id,
            # Only the feed's events, by key: the firm's rows include every event that has
            # since left the feed, and they only grow.
            CalendarFeedEvent.uid == func.any(literal(list(fingerprints), ARRAY(String()))),
        )
    )
    known = {r.uid: r for r in rows}
    result = {
        uid: EventVersion(sequence=r.sequence, modified_at=r.modified_at)
        for uid, r in known.items()
    }
    changed = [
        uid for uid, fp in fingerprints.items() if uid not in known or known[uid].fingerprint != fp
    ]
    for start in range(0, len(changed), _CHUNK):
        chunk = changed[start : start + _CHUNK]
        statement = insert(CalendarFeedEvent).values(
            [{"uid": uid, "firm_id": firm_id, "fingerprint": fingerprints[uid]} for uid in chunk]
        )
        written = await session.execute(
            statement.on_conflict_do_update(
                index_elements=[CalendarFeedEvent.uid],
                set_={
                    "fingerprint": statement.excluded.fingerprint,
                    "sequence": CalendarFeedEvent.sequence + 1,
                    "modified_at": func.now(),
                },
                where=CalendarFeedEvent.fingerprint != statement.excluded.fingerprint,
            ).returning(
                CalendarFeedEvent.uid, CalendarFeedEvent.sequence, CalendarFeedEvent.modified_at
            )
        )
        for r in written:
            result[r.uid] = EventVersion(sequence=r.sequence, modified_at=r.modified_at)
    return result
