"""The firm deadlines feed: its URL tokens, what goes in it, and each event's change counter."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import CalendarFeedEvent, CalendarFeedToken


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


# The feed's rows, each with what the feed last said about it (its `calendar_feed_events` row),
# in feed order: open tasks with a due time, then running engagements' court deadlines. The
# status predicates are literals so the partial index `ix_tasks_feed_firm_due` (migration
# 0008a_dashboard_speed) serves the tasks as an index-only range scan.
_FEED = """
WITH feed AS MATERIALIZED (
    SELECT 0 AS kind, t.id, t.engagement_id, t.title, t.queue, t.step_id, t.priority, t.status,
           t.due_at AS due, NULL::varchar AS matter_ref, NULL::varchar AS template_key,
           ev.fingerprint, ev.sequence, ev.modified_at,
           ROW(t.id, t.engagement_id, t.title, t.queue, t.step_id, t.priority, t.status,
               t.due_at, ev.fingerprint, ev.sequence, ev.modified_at)::text AS said
    FROM tasks t
    LEFT JOIN calendar_feed_events ev ON ev.uid = 'task-' || t.id || '@docketflow'
    WHERE t.firm_id = :firm_id AND t.status IN ('open', 'claimed') AND t.due_at IS NOT NULL
    UNION ALL
    SELECT 1, e.id, e.id, e.title, NULL, NULL, NULL, e.status, e.court_deadline, e.matter_ref,
           e.template_key, ev.fingerprint, ev.sequence, ev.modified_at,
           ROW(e.id, e.title, e.status, e.court_deadline, e.matter_ref, e.template_key,
               ev.fingerprint, ev.sequence, ev.modified_at)::text
    FROM engagements e
    LEFT JOIN calendar_feed_events ev ON ev.uid = 'court-' || e.id || '@docketflow'
    WHERE e.firm_id = :firm_id AND e.status IN ('running', 'on_hold')
      AND e.court_deadline IS NOT NULL
      AND e.started_at IS NOT NULL  -- a start Temporal has not confirmed is not docketed
),
marker AS (
    -- ROW(...)::text quotes each field, so no two different rows read the same.
    SELECT md5(coalesce(string_agg(said, E'\\n' ORDER BY kind, due, id), '')) AS marker
    FROM feed
)
"""
EMPTY_MARKER = hashlib.md5(b"", usedforsecurity=False).hexdigest()  # the marker of an empty feed
_MARKER = text(_FEED + "SELECT marker FROM marker")
_ROWS = text(
    _FEED + "SELECT feed.*, marker.marker FROM feed CROSS JOIN marker ORDER BY kind, due, id"
)


async def feed_marker(session: AsyncSession, firm_id: uuid.UUID) -> str:
    """A digest of everything the firm's feed shows (each event's content and its change
    counters, as stored): equal markers mean an equal feed, so a rendered feed can be served
    again while its marker holds. Versions are included so a change counted by another API
    replica changes it too."""
    return str((await session.execute(_MARKER, {"firm_id": firm_id})).scalar_one())


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


@dataclass(frozen=True)
class CourtDeadline:
    engagement_id: uuid.UUID
    title: str
    matter_ref: str
    template_key: str
    court_deadline: datetime


@dataclass(frozen=True)
class EventVersion:
    sequence: int
    modified_at: datetime


@dataclass(frozen=True)
class Said:
    """What the feed last said about one event: its fingerprint and change counters."""

    fingerprint: str
    version: EventVersion


@dataclass
class FeedSnapshot:
    """The feed's rows and what was last said about each, read in one statement (so one
    snapshot), with the marker of exactly these rows."""

    marker: str
    tasks: list[DueTask] = field(default_factory=list)
    courts: list[CourtDeadline] = field(default_factory=list)
    said: dict[str, Said] = field(default_factory=dict)


def task_uid(task_id: uuid.UUID) -> str:
    return f"task-{task_id}@docketflow"


def court_uid(engagement_id: uuid.UUID) -> str:
    return f"court-{engagement_id}@docketflow"


async def snapshot(session: AsyncSession, firm_id: uuid.UUID) -> FeedSnapshot:
    result = FeedSnapshot(marker=EMPTY_MARKER)  # no rows, no marker column to read it from
    for r in await session.execute(_ROWS, {"firm_id": firm_id}):
        result.marker = str(r.marker)
        if r.kind == 0:
            uid = task_uid(r.id)
            result.tasks.append(
                DueTask(
                    r.id, r.engagement_id, r.title, r.queue, r.step_id, r.priority, r.status, r.due
                )
            )
        else:
            uid = court_uid(r.id)
            result.courts.append(CourtDeadline(r.id, r.title, r.matter_ref, r.template_key, r.due))
        if r.fingerprint is not None:
            result.said[uid] = Said(r.fingerprint, EventVersion(r.sequence, r.modified_at))
    return result


_CHUNK = 1000  # rows per upsert statement (3 parameters each, far below the protocol's limit)


async def record_changes(
    session: AsyncSession, firm_id: uuid.UUID, fingerprints: Mapping[str, str]
) -> dict[str, EventVersion]:
    """Stores the new fingerprints of the events whose content changed (or that are new) and
    returns their versions: SEQUENCE + 1 and LAST-MODIFIED now for a changed event.

    The conditional upsert is safe under concurrent fetches: ON CONFLICT re-checks its WHERE
    against the latest row version, so one change is counted once (an event another fetch has
    just counted is not returned; its caller keeps what it read).
    """
    result: dict[str, EventVersion] = {}
    uids = list(fingerprints)
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
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
