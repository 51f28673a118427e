"""Task rows: queue claims, releases, assignment and completion.

Claims never touch Temporal. claim-next probes the partial index `ix_tasks_open_queue_order` once
per queue (`LATERAL … LIMIT 1 FOR UPDATE SKIP LOCKED`), so its cost does not grow with the number
of open tasks, and two clerks never get the same row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import TaskStatus
from store.models import Queue, Task
from store.scope import Scope

DEFAULT_LEASE_MINUTES = 30

_LEASE = (
    "now() + make_interval(mins => COALESCE("
    f"(SELECT q.lease_minutes FROM queues q WHERE q.name = tasks.queue), {DEFAULT_LEASE_MINUTES}))"
)

_CLAIM_NEXT = text(
    f"""
    WITH candidate AS (
        SELECT c.id
        FROM unnest(CAST(:queues AS text[])) AS q(name)
        CROSS JOIN LATERAL (
            SELECT t.id, t.priority, t.due_at, t.created_at
            FROM tasks t
            WHERE t.status = 'open'
              AND t.queue = q.name
              AND (t.skill IS NULL OR t.skill = ANY(CAST(:skills AS text[])))
              AND NOT (CAST(:user_id AS uuid) = ANY(t.excluded_user_ids))
              -- approval tasks go to partners of their firm only; everyone else never sees them
              AND CASE WHEN CAST(:approvals_for_firm AS uuid) IS NULL THEN t.kind <> 'approval'
                       ELSE t.kind = 'approval' AND t.firm_id = CAST(:approvals_for_firm AS uuid)
                  END
            ORDER BY t.priority, t.due_at NULLS LAST, t.created_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ) c
        ORDER BY c.priority, c.due_at NULLS LAST, c.created_at
        LIMIT 1
    )
    UPDATE tasks
    SET status = 'claimed', assignee_id = CAST(:user_id AS uuid), claimed_at = now(),
        lease_expires_at = {_LEASE}, generation = tasks.generation + 1
    FROM candidate
    WHERE tasks.id = candidate.id
    RETURNING tasks.id
    """
)


async def ensure_queue(session: AsyncSession, name: str) -> None:
    await session.execute(insert(Queue).values(name=name).on_conflict_do_nothing())


async def all_queue_names(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Queue.name).order_by(Queue.name))).scalars())


async def insert_task(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert once: a retried activity finds the row (same id, or same engagement/step/visit)."""
    await ensure_queue(session, values["queue"])
    result = await session.execute(
        insert(Task).values(**values).on_conflict_do_nothing().returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def start_lease(session: AsyncSession, task_id: uuid.UUID) -> None:
    """A task created already assigned (rework to its drafter) starts its lease now."""
    await session.execute(
        update(Task)
        .where(Task.id == task_id)
        .values(claimed_at=func.now(), lease_expires_at=text(_LEASE))
    )


async def get(session: AsyncSession, task_id: uuid.UUID, scope: Scope) -> Task | None:
    query = select(Task).where(Task.id == task_id, scope.filter(Task.firm_id))
    return (
        await session.execute(query.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def get_for_update(session: AsyncSession, task_id: uuid.UUID, scope: Scope) -> Task | None:
    query = select(Task).where(Task.id == task_id, scope.filter(Task.firm_id)).with_for_update()
    return (
        await session.execute(query.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def list_visible(
    session: AsyncSession,
    scope: Scope,
    *,
    queue: str | None = None,
    status: str | None = None,
    assignee_id: uuid.UUID | None = None,
    firm_id: uuid.UUID | None = None,
    engagement_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Task], int]:
    where = [scope.filter(Task.firm_id)]
    if queue is not None:
        where.append(Task.queue == queue)
    if status is not None:
        where.append(Task.status == status)
    if assignee_id is not None:
        where.append(Task.assignee_id == assignee_id)
    if firm_id is not None:
        where.append(Task.firm_id == firm_id)
    if engagement_id is not None:
        where.append(Task.engagement_id == engagement_id)
    total = (
        await session.execute(select(func.count()).select_from(Task).where(*where))
    ).scalar_one()
    query = (
        select(Task)
        .where(*where)
        .order_by(Task.priority, Task.due_at.asc().nulls_last(), Task.created_at, Task.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.execute(query)).scalars().all(), int(total)


async def for_engagement(session: AsyncSession, engagement_id: uuid.UUID) -> Sequence[Task]:
    query = select(Task).where(Task.engagement_id == engagement_id).order_by(Task.created_at)
    return (await session.execute(query)).scalars().all()


async def claim_next(
    session: AsyncSession,
    user_id: uuid.UUID,
    skills: list[str],
    queues: list[str] | None,
    *,
    approvals_for_firm: uuid.UUID | None = None,
) -> Task | None:
    names = queues if queues else await all_queue_names(session)
    if not names:
        return None
    claimed = (
        await session.execute(
            _CLAIM_NEXT,
            {
                "queues": names,
                "skills": skills,
                "user_id": str(user_id),
                "approvals_for_firm": str(approvals_for_firm) if approvals_for_firm else None,
            },
        )
    ).scalar_one_or_none()
    if claimed is None:
        return None
    return await get(session, claimed, Scope.everything())


async def claim(session: AsyncSession, task: Task, user_id: uuid.UUID) -> bool:
    """Claim an open task; False when someone else got it first."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == TaskStatus.OPEN)
        .values(
            status=TaskStatus.CLAIMED,
            assignee_id=user_id,
            claimed_at=func.now(),
            lease_expires_at=text(_LEASE),
            generation=Task.generation + 1,
        )
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def release(session: AsyncSession, task: Task, user_id: uuid.UUID) -> bool:
    result = await session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == TaskStatus.CLAIMED, Task.assignee_id == user_id)
        .values(status=TaskStatus.OPEN, assignee_id=None, claimed_at=None, lease_expires_at=None)
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def assign(session: AsyncSession, task: Task, assignee_id: uuid.UUID) -> bool:
    """Give an open or claimed task to a named user (a manager's decision); bumps the fence."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]))
        .values(
            status=TaskStatus.CLAIMED,
            assignee_id=assignee_id,
            claimed_at=func.now(),
            lease_expires_at=text(_LEASE),
            generation=Task.generation + 1,
        )
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def mark_completed(
    session: AsyncSession,
    task_id: uuid.UUID,
    *,
    outcome: str,
    output: dict[str, Any],
    note: str | None,
    completed_by: uuid.UUID,
    completed_at: datetime,
) -> bool:
    """Idempotent: True only for the first call."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status != TaskStatus.COMPLETED)
        .values(
            status=TaskStatus.COMPLETED,
            outcome=outcome,
            output=output,
            note=note,
            completed_by=completed_by,
            completed_at=completed_at,
            lease_expires_at=None,
        )
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def cancel_open(session: AsyncSession, engagement_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        update(Task)
        .where(
            Task.engagement_id == engagement_id,
            Task.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]),
        )
        .values(status=TaskStatus.CANCELLED, lease_expires_at=None)
        .returning(Task.id)
    )
    return list(result.scalars())
