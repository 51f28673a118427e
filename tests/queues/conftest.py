"""Queue tests: the API and a worker, users, and a helper that puts tasks in queues.

Tasks are written with the same repository call the workflow's create-task activity uses
(`tasks.insert_task`), so the queue sees exactly the rows it sees in production, without running
a whole engagement per task.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from core.settings import Settings
from domain.enums import Role, TaskStatus
from store.db import make_engine, make_session_factory
from store.repositories import engagements, tasks
from tests.harness import Stack, running_stack


@dataclass
class Queues:
    stack: Stack
    settings: Settings
    firm_id: uuid.UUID
    engagement_id: uuid.UUID

    async def add_task(
        self,
        queue: str = "drafting",
        *,
        skill: str | None = None,
        priority: int = 2,
        due_in: timedelta | None = None,
        warn_in: timedelta | None = None,
        excluded: list[str] | None = None,
        title: str = "Draft the motion",
    ) -> str:
        task_id = uuid.uuid4()
        engine = make_engine(self.settings.database_url, pool_size=1)
        async with make_session_factory(engine).begin() as session:
            await tasks.insert_task(
                session,
                {
                    "id": task_id,
                    "engagement_id": self.engagement_id,
                    "firm_id": self.firm_id,
                    "step_id": f"step-{task_id.hex[:8]}",
                    "visit": 1,
                    "kind": "human",
                    "title": title,
                    "queue": queue,
                    "skill": skill,
                    "priority": priority,
                    "status": TaskStatus.OPEN,
                    "excluded_user_ids": [uuid.UUID(u) for u in excluded or []],
                    "outcomes": ["done"],
                    "due_at": datetime.now(UTC) + due_in if due_in is not None else None,
                    "warn_at": datetime.now(UTC) + warn_in if warn_in is not None else None,
                },
            )
        await engine.dispose()
        return str(task_id)

    async def sql(self, statement: str, **params: object) -> list[tuple[object, ...]]:
        engine = make_engine(self.settings.database_url, pool_size=1)
        async with make_session_factory(engine).begin() as session:
            result = await session.execute(text(statement), params)
            rows = [tuple(r) for r in result.all()] if result.returns_rows else []  # type: ignore[attr-defined]
        await engine.dispose()
        return rows

    async def expire_lease(self, task_id: str) -> None:
        """Make a lease lapse now (instead of waiting out its minutes)."""
        await self.sql(
            "UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = :id",
            id=uuid.UUID(task_id),
        )

    async def audit_actions(self, task_id: str) -> list[str]:
        rows = await self.sql(
            "SELECT action FROM audit_log WHERE object_type = 'task' AND object_id = :id "
            "ORDER BY id",
            id=task_id,
        )
        return [str(r[0]) for r in rows]


@pytest.fixture
async def q(settings: Settings) -> AsyncIterator[Queues]:
    """A manager, three clerks, a partner's firm with one engagement to hang tasks on."""
    async with running_stack(settings) as stack:
        await stack.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await stack.add_user("carlos", Role.CLERK, ["drafting"])
        await stack.add_user("dana", Role.CLERK, ["drafting", "qc"])
        await stack.add_user("quinn", Role.CLERK, ["qc"])
        firm_id = uuid.UUID(await stack.create_firm("maria"))
        engagement_id = uuid.uuid4()
        engine = make_engine(settings.database_url, pool_size=1)
        async with make_session_factory(engine).begin() as session:
            await engagements.create(
                session,
                engagement_id=engagement_id,
                firm_id=firm_id,
                template_key="draft-qc-efile",
                template_version=1,
                title="Motion to compel discovery",
                matter_ref="HM-2024-0113",
                priority="normal",
                inputs={},
                court_deadline=None,
                workflow_id=f"queue-test-{engagement_id}",
                created_by=None,
            )
        await engine.dispose()
        yield Queues(stack, settings, firm_id, engagement_id)
