"""What happens when a task's SLA clock reaches a threshold: state, timeline, escalation, outbox.

Each write is idempotent (keyed by task, threshold kind and fraction), so a retried activity
changes nothing the second time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import structlog
from temporalio import activity

from core import metrics
from domain.messages import (
    ACT_LOOKUP_WORKER,
    ACT_SET_PRIORITY,
    ACT_SLA_RESCHEDULE,
    ACT_SLA_THRESHOLD,
    LookupWorkerInput,
    SetPriorityInput,
    SlaRescheduleInput,
    SlaThresholdInput,
    WorkerLookup,
)
from store.db import SessionFactory
from store.repositories import audit, engagements, queues, task_sla, users
from store.repositories.audit import AuditRecord

log = structlog.get_logger(__name__)

_EVENT = {"warning": "sla.warning", "breach": "sla.breached", "escalation": "sla.escalated"}
_STATE = {"warning": "at_risk", "breach": "breached"}


class SlaActivities:
    def __init__(self, sessions: SessionFactory, notify_partners: bool = True) -> None:
        self._sessions = sessions
        # Partners see breaches of their firm's work when the contract says so (settings).
        self._notify_partners = notify_partners

    @activity.defn(name=ACT_SLA_THRESHOLD)
    async def sla_threshold_reached(self, params: SlaThresholdInput) -> None:
        task_id = uuid.UUID(params.task_id)
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        key = f"task:{task_id}:sla:{params.kind}:{params.fraction:g}:{params.action or ''}"
        detail: dict[str, Any] = {
            "task_id": str(task_id),
            "fraction": params.fraction,
            "due_at": params.due_at.isoformat(),
        }
        async with self._sessions.begin() as session:
            task = await task_sla.get(session, task_id)
            if params.kind in _STATE:
                await task_sla.set_state(session, task_id, _STATE[params.kind])
            if params.action:
                detail["action"] = params.action
                detail.update(await self._escalate(session, params, task_id, key))
            if params.kind == "breach" and not params.action:
                await self._notify(session, params, task_id, f"{key}:notify", "sla.breached")
            await engagements.add_event(
                session,
                key=key,
                engagement_id=engagement_id,
                firm_id=firm_id,
                type_=_EVENT[params.kind],
                step_id=params.step_id,
                actor_id=None,
                detail=detail,
                at=params.at,
            )
            await audit.record(
                session,
                AuditRecord(
                    action=_EVENT[params.kind],
                    object_type="task",
                    object_id=str(task_id),
                    engagement_id=engagement_id,
                    firm_id=firm_id,
                    detail=detail,
                    dedupe_key=key,
                ),
            )
        template = (task.template_key if task else None) or "unknown"
        metrics.SLA_EVENTS.labels(params.kind, params.firm_id, template).inc()
        log.info("sla.threshold", task_id=str(task_id), kind=params.kind, action=params.action)

    async def _escalate(
        self, session: Any, params: SlaThresholdInput, task_id: uuid.UUID, key: str
    ) -> dict[str, Any]:
        """Write what the workflow decided (workflows/escalation.py); decide nothing here."""
        if params.action == "raise_priority":
            if params.priority is not None:
                await task_sla.set_priority(session, task_id, params.priority.rank)
                return {"priority": params.priority.value}
            await task_sla.raise_priority(session, task_id)  # input from before the decision
            return {}
        if params.action == "move_queue" and params.queue:
            await task_sla.move_queue(session, task_id, params.queue)
            return {"queue": params.queue}
        if params.action == "reassign":
            # Taken back from its holder (the fence moves); given to the named user only when
            # the workflow found they may work it, with a lease like any claim.
            await task_sla.return_to_queue(session, task_id)
            if params.assignee_id is not None:
                await task_sla.assign_to(session, task_id, uuid.UUID(params.assignee_id))
                await self._notify(
                    session,
                    params,
                    task_id,
                    f"{key}:notify-assignee",
                    "sla.escalated",
                    recipients=[f"user:{params.assignee_id}"],
                )
                return {"to": params.to, "assignee_id": params.assignee_id}
            if params.refused is not None:
                await self._notify(session, params, task_id, f"{key}:notify", "sla.escalated")
                return {"to": params.to, "refused": params.refused}
            return {"to": params.to}
        await self._notify(session, params, task_id, f"{key}:notify", "sla.escalated")
        return {}

    @activity.defn(name=ACT_LOOKUP_WORKER)
    async def lookup_worker(self, params: LookupWorkerInput) -> WorkerLookup:
        async with self._sessions() as session:
            user = await users.get_by_username(session, params.username)
            queue = await queues.get(session, params.queue)
        if user is None or not user.active:
            return WorkerLookup(found=False)
        facts = users.worker_facts(user)
        return WorkerLookup(
            found=True,
            user_id=facts.user_id,
            role=facts.role,
            skills=list(facts.skills),
            firm_id=facts.firm_id,
            available=user.availability == "available",
            queue_skill=queue.required_skill if queue else None,
        )

    async def _notify(
        self,
        session: Any,
        params: SlaThresholdInput,
        task_id: uuid.UUID,
        key: str,
        kind: str,
        recipients: list[str] | None = None,
    ) -> None:
        if recipients is None:
            recipients = ["manager", "partner"] if self._notify_partners else ["manager"]
        await task_sla.notify(
            session,
            dedupe_key=key,
            kind=kind,
            firm_id=uuid.UUID(params.firm_id),
            engagement_id=uuid.UUID(params.engagement_id),
            task_id=task_id,
            recipients=recipients,
            payload={
                "step_id": params.step_id,
                "fraction": params.fraction,
                "due_at": params.due_at.isoformat(),
                "kind": params.kind,
            },
        )

    @activity.defn(name=ACT_SLA_RESCHEDULE)
    async def sla_reschedule(self, params: SlaRescheduleInput) -> None:
        async with self._sessions.begin() as session:
            await task_sla.reschedule(
                session, uuid.UUID(params.task_id), params.due_at, params.warn_at, params.sla_state
            )

    @activity.defn(name=ACT_SET_PRIORITY)
    async def set_engagement_priority(self, params: SetPriorityInput) -> None:
        engagement_id = uuid.UUID(params.engagement_id)
        firm_id = uuid.UUID(params.firm_id)
        actor_id = uuid.UUID(params.actor.user_id)
        key = f"{activity.info().workflow_id}:priority:{params.at.isoformat()}"
        detail: dict[str, Any] = {"priority": params.priority.value, "reason": params.reason}
        async with self._sessions.begin() as session:
            await engagements.set_priority(session, engagement_id, params.priority.value)
            if params.task_id is not None:
                task_id = uuid.UUID(params.task_id)
                await task_sla.set_priority(session, task_id, params.priority.rank)
                if params.due_at is not None:
                    detail["due_at"] = params.due_at.isoformat()
                    await task_sla.move_due(session, task_id, params.due_at, params.warn_at)
            await engagements.add_event(
                session,
                key=key,
                engagement_id=engagement_id,
                firm_id=firm_id,
                type_="engagement.priority_changed",
                step_id=None,
                actor_id=actor_id,
                detail=detail,
                at=params.at,
            )
            await audit.record(
                session,
                AuditRecord(
                    action="engagement.priority_changed",
                    object_type="engagement",
                    object_id=str(engagement_id),
                    actor_id=actor_id,
                    actor_role=params.actor.role,
                    engagement_id=engagement_id,
                    firm_id=firm_id,
                    detail=detail,
                    dedupe_key=key,
                ),
            )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.sla_threshold_reached,
            self.sla_reschedule,
            self.set_engagement_priority,
            self.lookup_worker,
        ]
