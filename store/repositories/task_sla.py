"""SLA bookkeeping on task rows and the notification outbox (written by the workflow's clocks)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import TaskStatus
from store.models import Notification, Task
from store.repositories.tasks import LEASE_FROM_NOW

_OPEN = (TaskStatus.OPEN, TaskStatus.CLAIMED)


async def get(session: AsyncSession, task_id: uuid.UUID) -> Task | None:
    return await session.get(Task, task_id, populate_existing=True)


async def set_state(session: AsyncSession, task_id: uuid.UUID, sla_state: str) -> None:
    """Move an open task's SLA state; never overwrite a finished task's `met`/`breached`."""
    await session.execute(
        update(Task).where(Task.id == task_id, Task.status.in_(_OPEN)).values(sla_state=sla_state)
    )


async def raise_priority(session: AsyncSession, task_id: uuid.UUID) -> None:
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status.in_(_OPEN))
        .values(priority=func.greatest(Task.priority - 1, 0))
    )


async def move_queue(session: AsyncSession, task_id: uuid.UUID, queue: str) -> None:
    await session.execute(
        update(Task).where(Task.id == task_id, Task.status.in_(_OPEN)).values(queue=queue)
    )


async def return_to_queue(session: AsyncSession, task_id: uuid.UUID) -> None:
    """Take a task back from whoever holds it (an escalation's reassign); bumps the fence."""
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.CLAIMED)
        .values(
            status=TaskStatus.OPEN,
            assignee_id=None,
            claimed_at=None,
            lease_expires_at=None,
            generation=Task.generation + 1,
        )
    )


async def reschedule(
    session: AsyncSession,
    task_id: uuid.UUID,
    due_at: datetime,
    warn_at: datetime | None,
    sla_state: str,
) -> None:
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status.in_(_OPEN))
        .values(due_at=due_at, warn_at=warn_at, sla_state=sla_state)
    )


async def pause_engagement(session: AsyncSession, engagement_id: uuid.UUID, paused: bool) -> None:
    """Hold shows every open clock as `paused`; resume restores the state from the instants."""
    now = func.now()
    restored = case(
        (Task.due_at.is_(None), None),
        (Task.due_at <= now, "breached"),
        (Task.warn_at.is_not(None) & (Task.warn_at <= now), "at_risk"),
        else_="on_track",
    )
    await session.execute(
        update(Task)
        .where(
            Task.engagement_id == engagement_id, Task.status.in_(_OPEN), Task.due_at.is_not(None)
        )
        .values(sla_state="paused" if paused else restored)
    )


async def finish(session: AsyncSession, task_id: uuid.UUID, completed_at: datetime) -> None:
    """A completed task's SLA is `met` if done by its due time, else `breached`."""
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.due_at.is_not(None))
        .values(sla_state=case((Task.due_at >= completed_at, "met"), else_="breached"))
    )


async def notify(
    session: AsyncSession,
    *,
    dedupe_key: str,
    kind: str,
    firm_id: uuid.UUID,
    engagement_id: uuid.UUID | None,
    task_id: uuid.UUID | None,
    recipients: list[str],
    payload: dict[str, Any],
) -> None:
    await session.execute(
        insert(Notification)
        .values(
            dedupe_key=dedupe_key,
            kind=kind,
            firm_id=firm_id,
            engagement_id=engagement_id,
            task_id=task_id,
            recipients=recipients,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


async def assign_to(session: AsyncSession, task_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.OPEN)
        .values(
            status=TaskStatus.CLAIMED,
            assignee_id=user_id,
            claimed_at=func.now(),
            # A lease like any claim: an escalation's assignee who never starts gives it back.
            lease_expires_at=text(LEASE_FROM_NOW),
            generation=Task.generation + 1,
        )
    )


async def set_priority(session: AsyncSession, task_id: uuid.UUID, rank: int) -> None:
    await session.execute(
        update(Task).where(Task.id == task_id, Task.status.in_(_OPEN)).values(priority=rank)
    )


async def move_due(
    session: AsyncSession, task_id: uuid.UUID, due_at: datetime, warn_at: datetime | None
) -> None:
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status.in_(_OPEN))
        .values(due_at=due_at, warn_at=warn_at)
    )
