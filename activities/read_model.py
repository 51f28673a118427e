"""Read-model writes from the engagement workflow: task rows, timeline, audit.

Each activity is one short transaction and idempotent: task ids come from the workflow
(`workflow.uuid4()`, stable across replays), timeline events and audit entries carry a dedupe
key, so a retry after a crash finds its own earlier write and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import structlog
from temporalio import activity

from domain.enums import Priority, TaskStatus
from domain.messages import (
    ACT_CANCEL_OPEN_TASKS,
    ACT_CREATE_TASK,
    ACT_RECORD_COMPLETION,
    ACT_RECORD_EVENT,
    CancelOpenTasksInput,
    CreateTaskInput,
    EngagementEventInput,
    RecordCompletionInput,
)
from store.db import SessionFactory
from store.repositories import audit, engagements, tasks
from store.repositories.audit import AuditRecord

log = structlog.get_logger(__name__)


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


class ReadModelActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name=ACT_CREATE_TASK)
    async def create_task(self, params: CreateTaskInput) -> None:
        task_id = uuid.UUID(params.task_id)
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        assigned = params.assignee_id is not None
        async with self._sessions.begin() as session:
            created = await tasks.insert_task(
                session,
                {
                    "id": task_id,
                    "engagement_id": engagement_id,
                    "firm_id": firm_id,
                    "step_id": params.step_id,
                    "visit": params.visit,
                    "kind": params.kind,
                    "title": params.title,
                    "queue": params.queue,
                    "skill": params.skill,
                    "priority": Priority(params.priority).rank,
                    "status": TaskStatus.CLAIMED if assigned else TaskStatus.OPEN,
                    "assignee_id": _uuid(params.assignee_id),
                    "generation": 1 if assigned else 0,
                    "excluded_user_ids": [uuid.UUID(u) for u in params.excluded_user_ids],
                    "outcomes": params.outcomes,
                    "output_schema": params.output_schema,
                    "instructions": params.instructions,
                    "inputs": params.inputs,
                    "due_at": params.due_at,
                    "escalated": params.escalated,
                },
            )
            if assigned and created:
                await tasks.start_lease(session, task_id)
            await engagements.set_current_step(session, engagement_id, params.step_id)
            await engagements.add_event(
                session,
                key=f"task:{task_id}:created",
                engagement_id=engagement_id,
                firm_id=firm_id,
                type_="task.escalated" if params.escalated else "task.created",
                step_id=params.step_id,
                actor_id=None,
                detail={
                    "task_id": str(task_id),
                    "queue": params.queue,
                    "visit": params.visit,
                    "assignee_id": params.assignee_id,
                },
                at=activity.info().current_attempt_scheduled_time,
            )
            await audit.record(
                session,
                AuditRecord(
                    action="task.escalated" if params.escalated else "task.created",
                    object_type="task",
                    object_id=str(task_id),
                    engagement_id=engagement_id,
                    firm_id=firm_id,
                    detail={
                        "step_id": params.step_id,
                        "visit": params.visit,
                        "queue": params.queue,
                        "assignee_id": params.assignee_id,
                    },
                    dedupe_key=f"task:{task_id}:created",
                ),
            )
        log.info("task.created", task_id=str(task_id), step_id=params.step_id, fresh=created)

    @activity.defn(name=ACT_RECORD_COMPLETION)
    async def record_task_completion(self, params: RecordCompletionInput) -> None:
        task_id = uuid.UUID(params.task_id)
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        actor_id = uuid.UUID(params.actor.user_id)
        async with self._sessions.begin() as session:
            await tasks.mark_completed(
                session,
                task_id,
                outcome=params.outcome,
                output=params.output,
                note=params.note,
                completed_by=actor_id,
                completed_at=params.at,
            )
            await engagements.add_event(
                session,
                key=f"task:{task_id}:completed",
                engagement_id=engagement_id,
                firm_id=firm_id,
                type_="task.completed",
                step_id=params.step_id,
                actor_id=actor_id,
                detail={"task_id": str(task_id), "outcome": params.outcome, "note": params.note},
                at=params.at,
            )
            await audit.record(
                session,
                AuditRecord(
                    action="task.completed",
                    object_type="task",
                    object_id=str(task_id),
                    actor_id=actor_id,
                    actor_role=params.actor.role,
                    engagement_id=engagement_id,
                    firm_id=firm_id,
                    detail={
                        "step_id": params.step_id,
                        "outcome": params.outcome,
                        "note": params.note,
                    },
                    request_id=params.request_id,
                    dedupe_key=f"task:{task_id}:completed",
                ),
            )
        log.info("task.completed", task_id=str(task_id), outcome=params.outcome)

    @activity.defn(name=ACT_RECORD_EVENT)
    async def record_engagement_event(self, params: EngagementEventInput) -> None:
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        actor_id = _uuid(params.actor_id)
        async with self._sessions.begin() as session:
            await engagements.add_event(
                session,
                key=params.key,
                engagement_id=engagement_id,
                firm_id=firm_id,
                type_=params.type,
                step_id=params.step_id,
                actor_id=actor_id,
                detail=params.detail,
                at=params.at,
            )
            if params.status is not None:
                await engagements.set_status(
                    session, engagement_id, params.status, params.current_step
                )
                await audit.record(
                    session,
                    AuditRecord(
                        action=f"engagement.{params.status.value}",
                        object_type="engagement",
                        object_id=str(engagement_id),
                        actor_id=actor_id,
                        engagement_id=engagement_id,
                        firm_id=firm_id,
                        detail=params.detail,
                        dedupe_key=f"{params.key}:audit",
                    ),
                )

    @activity.defn(name=ACT_CANCEL_OPEN_TASKS)
    async def cancel_open_tasks(self, params: CancelOpenTasksInput) -> None:
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        async with self._sessions.begin() as session:
            for task_id in await tasks.cancel_open(session, engagement_id):
                await audit.record(
                    session,
                    AuditRecord(
                        action="task.cancelled",
                        object_type="task",
                        object_id=str(task_id),
                        actor_id=_uuid(params.actor_id),
                        engagement_id=engagement_id,
                        firm_id=firm_id,
                        detail={"reason": params.reason},
                        dedupe_key=f"task:{task_id}:cancelled",
                    ),
                )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.create_task,
            self.record_task_completion,
            self.record_engagement_event,
            self.cancel_open_tasks,
        ]
