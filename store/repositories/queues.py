"""Queues and workload: the queue board, queue settings, clerk availability and WIP limits.

The board reads open rows through `ix_tasks_open_queue_order` and claimed rows through
`ix_tasks_claimed_queue` (both partial), so it costs the size of the live work, not of the history.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Role, TaskStatus
from store.models import Queue, Task, User
from store.scope import Scope


@dataclass
class ClerkLoad:
    user_id: uuid.UUID
    username: str
    held: int


@dataclass
class QueueBoard:
    name: str
    lease_minutes: int
    wip_limit: int | None
    required_skill: str | None
    at_risk_minutes: int
    depth: int = 0
    claimed: int = 0
    oldest_open_at: datetime | None = None
    at_risk: int = 0
    breached: int = 0
    load: list[ClerkLoad] = field(default_factory=list)


async def get(session: AsyncSession, name: str) -> Queue | None:
    return await session.get(Queue, name, populate_existing=True)


async def list_all(session: AsyncSession) -> Sequence[Queue]:
    return (await session.execute(select(Queue).order_by(Queue.name))).scalars().all()


async def update_settings(session: AsyncSession, name: str, values: dict[str, Any]) -> Queue | None:
    if values:
        await session.execute(update(Queue).where(Queue.name == name).values(**values))
    return await get(session, name)


# Per queue: open depth, oldest open, and how many live tasks (open or claimed) are due within the
# queue's warning window or already past due. One pass over each partial index.
_BOARD = text(
    """
    WITH live AS (
        SELECT t.queue, 'open' AS status, t.due_at, t.created_at, t.firm_id
        FROM tasks t WHERE t.status = 'open'
        UNION ALL
        SELECT t.queue, 'claimed', t.due_at, t.created_at, t.firm_id
        FROM tasks t WHERE t.status = 'claimed'
    )
    SELECT l.queue,
           count(*) FILTER (WHERE l.status = 'open') AS depth,
           count(*) FILTER (WHERE l.status = 'claimed') AS claimed,
           min(l.created_at) FILTER (WHERE l.status = 'open') AS oldest_open_at,
           count(*) FILTER (WHERE l.due_at >= now()
                            AND l.due_at < now() + make_interval(mins => q.at_risk_minutes))
               AS at_risk,
           count(*) FILTER (WHERE l.due_at < now()) AS breached
    FROM live l JOIN queues q ON q.name = l.queue
    WHERE CAST(:firm_id AS uuid) IS NULL OR l.firm_id = CAST(:firm_id AS uuid)
    GROUP BY l.queue
    """
)


async def board(session: AsyncSession, scope: Scope) -> list[QueueBoard]:
    """Every queue with its live counts and per-clerk load (scoped to a firm for partners)."""
    boards = {
        q.name: QueueBoard(
            name=q.name,
            lease_minutes=q.lease_minutes,
            wip_limit=q.wip_limit,
            required_skill=q.required_skill,
            at_risk_minutes=q.at_risk_minutes,
        )
        for q in await list_all(session)
    }
    firm = str(scope.firm_id) if scope.firm_id else None
    for row in (await session.execute(_BOARD, {"firm_id": firm})).all():
        entry = boards.get(row.queue)
        if entry is None:
            continue
        entry.depth, entry.claimed = int(row.depth), int(row.claimed)
        entry.oldest_open_at = row.oldest_open_at
        entry.at_risk, entry.breached = int(row.at_risk), int(row.breached)
    load = (
        select(Task.queue, User.id, User.username, func.count())
        .join(User, User.id == Task.assignee_id)
        .where(Task.status == TaskStatus.CLAIMED, scope.filter(Task.firm_id))
        .group_by(Task.queue, User.id, User.username)
        .order_by(Task.queue, User.username)
    )
    for queue, user_id, username, held in (await session.execute(load)).all():
        if queue in boards:
            boards[queue].load.append(ClerkLoad(user_id, username, int(held)))
    return list(boards.values())


@dataclass(frozen=True)
class QueueFloor:
    queue: str
    depth: int
    oldest_age_seconds: float
    at_risk: int
    breached: int


async def floor(session: AsyncSession) -> list[QueueFloor]:
    """Every queue's live counts across all firms (the metrics scrape): the board's one query."""
    counts = {row.queue: row for row in (await session.execute(_BOARD, {"firm_id": None})).all()}
    now = (await session.execute(select(func.now()))).scalar_one()
    result = []
    for name in (await session.execute(select(Queue.name).order_by(Queue.name))).scalars():
        row = counts.get(name)
        oldest = row.oldest_open_at if row is not None else None
        result.append(
            QueueFloor(
                queue=name,
                depth=int(row.depth) if row is not None else 0,
                oldest_age_seconds=(now - oldest).total_seconds() if oldest else 0.0,
                at_risk=int(row.at_risk) if row is not None else 0,
                breached=int(row.breached) if row is not None else 0,
            )
        )
    return result


@dataclass
class ClerkWorkload:
    user_id: uuid.UUID
    username: str
    role: str
    skills: list[str]
    availability: str
    wip_limit: int | None
    held: int


async def workload(
    session: AsyncSession, user_ids: Sequence[uuid.UUID] | None = None
) -> list[ClerkWorkload]:
    """BPO staff who can work tasks, with what they hold now."""
    held = (
        select(Task.assignee_id, func.count().label("n"))
        .where(Task.status == TaskStatus.CLAIMED)
        .group_by(Task.assignee_id)
        .subquery()
    )
    query = (
        select(User, func.coalesce(held.c.n, 0))
        .outerjoin(held, held.c.assignee_id == User.id)
        .where(User.role.in_([Role.CLERK, Role.MANAGER]), User.active.is_(True))
        .order_by(User.username)
    )
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    return [
        ClerkWorkload(
            user_id=user.id,
            username=user.username,
            role=user.role,
            skills=list(user.skills),
            availability=user.availability,
            wip_limit=user.wip_limit,
            held=int(count),
        )
        for user, count in (await session.execute(query)).all()
    ]


async def set_clerk(session: AsyncSession, user_id: uuid.UUID, values: dict[str, Any]) -> bool:
    """Set availability and/or WIP limit; False when there is no such user."""
    result = await session.execute(
        update(User).where(User.id == user_id).values(**values).returning(User.id)
    )
    return result.scalar_one_or_none() is not None
