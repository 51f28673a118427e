"""Rows with chosen timestamps, written straight into the read model.

The SLA engine is still being built, so due times are set directly on the rows: the dashboard
and console tests are about the figures, not about how the due times came to be.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update

from core.settings import Settings
from store.db import make_engine, make_session_factory
from store.models import Engagement, Task


@dataclass
class Seeder:
    """Inserts engagements and tasks with chosen timestamps (relative to `now`)."""

    settings: Settings
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    visits: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def _run(self, statement: Any) -> None:
        engine = make_engine(self.settings.database_url, pool_size=1)
        try:
            async with make_session_factory(engine).begin() as session:
                await session.execute(statement)
        finally:
            await engine.dispose()

    async def engagement(
        self,
        firm_id: str,
        *,
        template: str = "draft-qc-efile",
        court_deadline: datetime | None = None,
        started: bool = True,
    ) -> str:
        """`started=False`: a row reserved by a create whose start Temporal has not confirmed."""
        engagement_id = uuid.uuid4()
        await self._run(
            insert(Engagement).values(
                id=engagement_id,
                firm_id=uuid.UUID(firm_id),
                template_key=template,
                template_version=1,
                title=f"Motion {engagement_id.hex[:6]}",
                matter_ref="HM-2024-0113",
                priority="normal",
                status="running",
                inputs={},
                court_deadline=court_deadline,
                workflow_id=f"engagement-{engagement_id}",
                # as if its workflow's start was confirmed (0013b)
                started_at=self.now if started else None,
            )
        )
        return str(engagement_id)

    async def task(
        self,
        engagement_id: str,
        firm_id: str,
        *,
        step: str = "draft",
        queue: str = "drafting",
        status: str = "open",
        created_ago: timedelta,
        due_in: timedelta | None,
        completed_ago: timedelta | None = None,
        assignee: str | None = None,
        title: str = "Draft the document",
    ) -> str:
        task_id = uuid.uuid4()
        await self._run(
            insert(Task).values(
                id=task_id,
                engagement_id=uuid.UUID(engagement_id),
                firm_id=uuid.UUID(firm_id),
                step_id=step,
                visit=next(self.visits),  # unique per engagement/step in these tests
                kind="human",
                title=title,
                queue=queue,
                priority=2,
                status=status,
                assignee_id=uuid.UUID(assignee) if assignee else None,
                outcomes=["done"],
                created_at=self.now - created_ago,
                due_at=self.now + due_in if due_in is not None else None,
                completed_at=self.now - completed_ago if completed_ago is not None else None,
                completed_by=uuid.UUID(assignee) if assignee and status == "completed" else None,
            )
        )
        return str(task_id)

    async def move_due(self, task_id: str, due_in: timedelta) -> None:
        await self._run(
            update(Task).where(Task.id == uuid.UUID(task_id)).values(due_at=self.now + due_in)
        )

    async def edit_task(self, task_id: str, **values: Any) -> None:
        await self._run(update(Task).where(Task.id == uuid.UUID(task_id)).values(**values))
