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
from sqlalchemy import update
from temporalio import activity

from domain.audit_detail import free_text
from domain.enums import EngagementStatus, Priority, TaskStatus
from domain.messages import (
    ACT_CANCEL_OPEN_TASKS,
    ACT_CREATE_TASK,
    ACT_RECORD_COMPLETION,
    ACT_RECORD_EVENT,
    ACT_RECORD_EVENT_RECEIVED,
    ACT_SET_HOLD,
    CancelOpenTasksInput,
    CreateTaskInput,
    EngagementEventInput,
    EventReceivedInput,
    RecordCompletionInput,
    RecordCompletionResult,
    SetHoldInput,
)
from store.db import SessionFactory
from store.models import Task
from store.repositories import audit, engagements, task_sla, tasks
from store.repositories.audit import AuditRecord

log = structlog.get_logger(__name__)


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _audited(status: EngagementStatus, detail: dict[str, Any]) -> dict[str, Any]:
    """A cancel reason is a person's free text: the audit entry keeps its length only (a stuck
    engagement's reason is the system's own error message and stays)."""
    if status != EngagementStatus.CANCELLED or "reason" not in detail:
        return detail
    rest = {key: value for key, value in detail.items() if key != "reason"}
    return {**rest, **free_text("reason", detail["reason"])}


class ReadModelActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name=ACT_CREATE_TASK)
    async def create_task(self, params: CreateTaskInput) -> None:
        task_id = uuid.UUID(params.task_id)
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        assigned = params.assignee_id is not None and params.status == TaskStatus.OPEN
        async with self._sessions.begin() as session:
            created = await tasks.insert_task(
                session,
                {
                    "id": task_id,
                    "engagement_id": engagement_id,
                    "firm_id": firm_id,
                    "step_id": params.step_id,
                    "visit": params.visit,
                    "item": params.item,
                    "workflow_id": activity.info().workflow_id,
                    "kind": params.kind,
                    "title": params.title,
                    "queue": params.queue,
                    "skill": params.skill,
                    "priority": Priority(params.priority).rank,
                    "status": TaskStatus.CLAIMED if assigned else params.status,
                    "assignee_id": _uuid(params.assignee_id),
                    "generation": 1 if assigned else 0,
                    "excluded_user_ids": [uuid.UUID(u) for u in params.excluded_user_ids],
                    "outcomes": params.outcomes,
                    "output_schema": params.output_schema,
                    "instructions": params.instructions,
                    "inputs": params.inputs,
                    "due_at": params.due_at,
                    "warn_at": params.warn_at,
                    "sla_state": "on_track" if params.due_at else None,
                    "escalated": params.escalated,
                },
            )
            # A task created already assigned (rework to its drafter, a re-approval to its
            # partner) starts with no lease: the sweeper returns only lapsed leases, so it stays
            # with them until they open it; the console's heartbeat then starts the lease.
            if created and params.kind == "approval":
                # The firm's partners hear of a sign-off waiting for them (email, in-app).
                await task_sla.notify(
                    session,
                    dedupe_key=f"task:{task_id}:approval-waiting",
                    kind="approval.waiting",
                    firm_id=firm_id,
                    engagement_id=engagement_id,
                    task_id=task_id,
                    recipients=["partner"],
                    payload={
                        "step_id": params.step_id,
                        "due_at": params.due_at.isoformat() if params.due_at else None,
                    },
                )
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
    async def record_task_completion(self, params: RecordCompletionInput) -> RecordCompletionResult:
        task_id = uuid.UUID(params.task_id)
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        actor_id = uuid.UUID(params.actor.user_id)
        async with self._sessions.begin() as session:
            if params.generation is None:  # a caller from before the fence
                await tasks.mark_completed(
                    session,
                    task_id,
                    outcome=params.outcome,
                    output=params.output,
                    note=params.note,
                    completed_by=actor_id,
                    completed_at=params.at,
                )
            else:
                stale = await tasks.complete_under_claim(
                    session,
                    task_id,
                    generation=params.generation,
                    outcome=params.outcome,
                    output=params.output,
                    note=params.note,
                    completed_by=actor_id,
                    completed_at=params.at,
                )
                if stale is not None:
                    log.warning(
                        "task.completion_refused",
                        task_id=str(task_id),
                        generation=params.generation,
                        why=stale,
                    )
                    return RecordCompletionResult(applied=False, reason=stale)
            await task_sla.finish(session, task_id, params.at)
            # An approval approves the documents as they stand now: pin each one's version, so
            # e-filing files exactly what the attorney approved (activities/efiling.py).
            pinned = await tasks.pin_approved_versions(session, task_id)
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
                        **free_text("note", params.note),
                        **({"approved_versions": pinned} if pinned is not None else {}),
                    },
                    request_id=params.request_id,
                    dedupe_key=f"task:{task_id}:completed",
                ),
            )
        log.info("task.completed", task_id=str(task_id), outcome=params.outcome)
        return RecordCompletionResult(applied=True)

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
                if params.status == EngagementStatus.STUCK:
                    # Managers are alerted (in-app and webhook): only a person can unstick it.
                    await task_sla.notify(
                        session,
                        dedupe_key=f"{params.key}:notify",
                        kind="engagement.stuck",
                        firm_id=firm_id,
                        engagement_id=engagement_id,
                        task_id=None,
                        recipients=["manager"],
                        payload={"step_id": params.step_id, "reason": params.detail.get("reason")},
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
                        detail=_audited(params.status, params.detail),
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
                        detail=free_text("reason", params.reason),
                        dedupe_key=f"task:{task_id}:cancelled",
                    ),
                )

    @activity.defn(name=ACT_RECORD_EVENT_RECEIVED)
    async def record_event_received(self, params: EventReceivedInput) -> None:
        """An external event (or a timeout) resolved a wait step."""
        task_id = uuid.UUID(params.task_id)
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        actor_id = uuid.UUID(params.actor.user_id) if params.actor else None
        async with self._sessions.begin() as session:
            await session.execute(
                update(Task)
                .where(Task.id == task_id, Task.status == TaskStatus.WAITING)
                .values(
                    status=TaskStatus.COMPLETED,
                    outcome=params.outcome,
                    output=params.payload,
                    completed_by=actor_id,
                    completed_at=params.at,
                )
            )
            kind = "wait.timed_out" if params.actor is None else "event.received"
            await engagements.add_event(
                session,
                key=f"task:{task_id}:resolved",
                engagement_id=engagement_id,
                firm_id=firm_id,
                type_=kind,
                step_id=params.step_id,
                actor_id=actor_id,
                detail={"task_id": str(task_id), "event": params.type, "outcome": params.outcome},
                at=params.at,
            )
            await audit.record(
                session,
                AuditRecord(
                    action=kind,
                    object_type="engagement",
                    object_id=str(engagement_id),
                    actor_id=actor_id,
                    actor_role=params.actor.role if params.actor else None,
                    engagement_id=engagement_id,
                    firm_id=firm_id,
                    detail={
                        "event": params.type,
                        "step_id": params.step_id,
                        "outcome": params.outcome,
                    },
                    dedupe_key=f"task:{task_id}:resolved",
                ),
            )

    @activity.defn(name=ACT_SET_HOLD)
    async def set_engagement_hold(self, params: SetHoldInput) -> None:
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        actor_id = uuid.UUID(params.actor.user_id)
        action = "engagement.held" if params.on_hold else "engagement.resumed"
        key = f"{activity.info().workflow_id}:{action}:{params.at.isoformat()}"
        async with self._sessions.begin() as session:
            await engagements.set_hold(session, engagement_id, params.on_hold)
            await task_sla.pause_engagement(session, engagement_id, params.on_hold)
            await engagements.add_event(
                session,
                key=key,
                engagement_id=engagement_id,
                firm_id=firm_id,
                type_=action,
                step_id=None,
                actor_id=actor_id,
                detail={"reason": params.reason} if params.reason else {},
                at=params.at,
            )
            await audit.record(
                session,
                AuditRecord(
                    action=action,
                    object_type="engagement",
                    object_id=str(engagement_id),
                    actor_id=actor_id,
                    actor_role=params.actor.role,
                    engagement_id=engagement_id,
                    firm_id=firm_id,
                    detail=free_text("reason", params.reason),
                    dedupe_key=key,
                ),
            )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_event_received,
            self.set_engagement_hold,
            self.create_task,
            self.record_task_completion,
            self.record_engagement_event,
            self.cancel_open_tasks,
        ]
