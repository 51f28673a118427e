"""Tenancy and minimum necessary: which firms, and for a clerk which engagements, a caller may
see. Every repository query of firm data takes a Scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store.models import Queue, Task


@dataclass(frozen=True)
class ClerkWork:
    """A clerk, as the minimum-necessary rule reads them: who, and which skills they hold."""

    user_id: uuid.UUID
    skills: tuple[str, ...] = ()


def clerk_works_on(clerk: ClerkWork, engagement_id: Any) -> ColumnElement[bool]:
    """Whether a clerk has or had a task of the engagement `engagement_id` (a value, or a column
    of an outer query): one they hold or completed, or an open one they may work now
    (domain.eligibility's rule: not an approval, skill and queue skill held, not excluded by
    separation of duties). HIPAA minimum necessary (45 CFR 164.502(b), 164.514(d)): a clerk
    sees an engagement only for the work they do on it.

    The one answer to "has or had this clerk a task of this engagement", for every route that
    shows a clerk engagement data (engagements, tasks, documents)."""
    # Aliased: inside a query of tasks, an unaliased subquery would correlate to the outer row.
    task = aliased(Task, name="clerk_task")
    skills = list(clerk.skills) or [""]
    queue_skill_held = ~exists().where(
        Queue.name == task.queue,
        Queue.required_skill.is_not(None),
        Queue.required_skill.not_in(skills),
    )
    may_work = and_(
        task.status == "open",
        task.kind != "approval",
        or_(task.skill.is_(None), task.skill.in_(skills)),
        ~task.excluded_user_ids.contains([clerk.user_id]),  # separation of duties
        queue_skill_held,
    )
    worked = or_(task.assignee_id == clerk.user_id, task.completed_by == clerk.user_id)
    # Correlated on the engagement: one probe of ix_tasks_engagement per engagement asked about.
    works: ColumnElement[bool] = exists().where(
        task.engagement_id == engagement_id, or_(worked, may_work)
    )
    return works


async def clerk_has_or_had_task(
    session: AsyncSession, clerk: ClerkWork, engagement_id: uuid.UUID
) -> bool:
    """Has or had this clerk a task of this engagement (`clerk_works_on`)."""
    query = select(clerk_works_on(clerk, engagement_id))
    return bool((await session.execute(query)).scalar_one())


async def clerk_holds_task(
    session: AsyncSession, clerk_id: uuid.UUID, engagement_id: uuid.UUID
) -> bool:
    """Whether the clerk holds (has claimed, not yet completed) a task of the engagement: what
    posting its external events or commenting on its tasks requires of a clerk."""
    query = select(
        exists().where(
            Task.engagement_id == engagement_id,
            Task.assignee_id == clerk_id,
            Task.status == "claimed",
        )
    )
    return bool((await session.execute(query)).scalar_one())


@dataclass(frozen=True)
class Scope:
    """`firm_id=None` means BPO staff (admin, manager, clerk) who work across firms; `clerk`
    narrows a clerk to the engagements of their own work (`clerk_works_on`)."""

    firm_id: uuid.UUID | None
    clerk: ClerkWork | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(firm_id=None)

    def engagements(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause restricting `column` (an engagement id column) to this scope."""
        if self.clerk is None:
            return true()
        return clerk_works_on(self.clerk, column)

    def allows(self, firm_id: uuid.UUID | None) -> bool:
        return self.firm_id is None or self.firm_id == firm_id

    def filter(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause restricting `column` (a firm_id column) to this scope."""
        if self.firm_id is None:
            return true()
        result: ColumnElement[bool] = column == self.firm_id
        return result
