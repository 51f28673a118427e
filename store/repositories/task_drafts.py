"""Form drafts: what a user has typed on a task, kept until the task is completed.

One row per task and user, overwritten on each save. Drafts belong to the person typing, not to
the claim: a lapsed or reassigned claim keeps its holder's draft, so nothing typed is lost.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Task, TaskDraft


async def save(
    session: AsyncSession, task: Task, user_id: uuid.UUID, fields: dict[str, str]
) -> tuple[TaskDraft, bool]:
    """Keep `fields` as the user's draft; True when this save started the draft."""
    statement: Any = (
        insert(TaskDraft)
        .values(task_id=task.id, user_id=user_id, firm_id=task.firm_id, fields=fields)
        .on_conflict_do_update(
            index_elements=[TaskDraft.task_id, TaskDraft.user_id],
            set_={"fields": fields, "saved_at": func.now()},
        )
        # xmax is 0 on a freshly inserted row version, not on an updated one.
        .returning(TaskDraft, literal_column("xmax = 0"))
    )
    draft, started = (await session.execute(statement)).one()
    return draft, bool(started)


async def get(session: AsyncSession, task_id: uuid.UUID, user_id: uuid.UUID) -> TaskDraft | None:
    query = select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == user_id)
    return (
        await session.execute(query.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def discard(session: AsyncSession, task_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(TaskDraft)
        .where(TaskDraft.task_id == task_id, TaskDraft.user_id == user_id)
        .returning(TaskDraft.task_id)
    )
    return result.scalar_one_or_none() is not None
