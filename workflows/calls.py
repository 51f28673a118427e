"""Typed wrappers around every activity the engagement workflow calls.

They own the timeouts and retry policies, so the interpreter reads as business logic. Activities
are idempotent (keyed by workflow id, step and visit), so retries never duplicate a row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.enums import EngagementStatus
    from domain.messages import (
        ACT_CANCEL_OPEN_TASKS,
        ACT_CREATE_TASK,
        ACT_LOOKUP_WORKER,
        ACT_RECORD_COMPLETION,
        ACT_RECORD_EVENT,
        ACT_RECORD_EVENT_RECEIVED,
        ACT_SET_HOLD,
        ACT_SET_PRIORITY,
        ACT_SLA_RESCHEDULE,
        ACT_SLA_THRESHOLD,
        AutomatedStepInput,
        AutomatedStepResult,
        CancelOpenTasksInput,
        CancelRequest,
        CreateTaskInput,
        EngagementEventInput,
        EngagementInput,
        EngagementState,
        EventReceivedInput,
        LookupWorkerInput,
        RecordCompletionInput,
        RecordCompletionResult,
        SetHoldInput,
        SetPriorityInput,
        SlaRescheduleInput,
        SlaThresholdInput,
        WorkerLookup,
    )
    from domain.templates import AutomatedStep

# Read-model writes retry until PostgreSQL is back: losing one would lose a task.
_READ_MODEL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
_READ_MODEL_TIMEOUT = timedelta(seconds=30)


async def _write(activity: str, params: BaseModel) -> None:
    """Run a read-model activity: short, idempotent, retried until PostgreSQL answers."""
    await workflow.execute_activity(
        activity,
        params,
        start_to_close_timeout=_READ_MODEL_TIMEOUT,
        retry_policy=_READ_MODEL_RETRY,
    )


async def create_task(params: CreateTaskInput) -> None:
    await _write(ACT_CREATE_TASK, params)


async def record_completion(params: RecordCompletionInput) -> RecordCompletionResult:
    raw = await workflow.execute_activity(
        ACT_RECORD_COMPLETION,
        params,
        start_to_close_timeout=_READ_MODEL_TIMEOUT,
        retry_policy=_READ_MODEL_RETRY,
    )
    # Histories from before the claim fence recorded no result: those completions were applied.
    if raw is None:
        return RecordCompletionResult(applied=True)
    return RecordCompletionResult.model_validate(raw)


async def record_event(
    engagement: EngagementInput,
    type_: str,
    step_id: str | None,
    *,
    key_suffix: str,
    detail: dict[str, Any] | None = None,
    status: EngagementStatus | None = None,
    current_step: str | None = None,
    actor_id: str | None = None,
) -> None:
    await _write(
        ACT_RECORD_EVENT,
        EngagementEventInput(
            key=f"{workflow.info().workflow_id}:{key_suffix}",
            engagement_id=engagement.engagement_id,
            firm_id=engagement.firm_id,
            type=type_,
            step_id=step_id,
            actor_id=actor_id,
            detail=detail or {},
            at=workflow.now(),
            status=status,
            current_step=current_step,
        ),
    )


async def cancel_open_tasks(engagement: EngagementInput, request: CancelRequest) -> None:
    await _write(
        ACT_CANCEL_OPEN_TASKS,
        CancelOpenTasksInput(
            engagement_id=engagement.engagement_id,
            firm_id=engagement.firm_id,
            actor_id=request.actor.user_id,
            reason=request.reason,
        ),
    )


async def run_automated(
    engagement: EngagementInput, state: EngagementState, step: AutomatedStep, visit: int
) -> AutomatedStepResult:
    """Run a registered activity by its template name; its result names the outcome."""
    latest_outputs = {c.step_id: c.output for c in state.completions}
    result: AutomatedStepResult = await workflow.execute_activity(
        step.activity,
        AutomatedStepInput(
            engagement_id=engagement.engagement_id,
            firm_id=engagement.firm_id,
            step_id=step.id,
            attempt_key=f"{workflow.info().workflow_id}:{step.id}:{visit}",
            params=step.params,
            inputs=engagement.inputs,
            outputs=latest_outputs,
        ),
        result_type=AutomatedStepResult,
        start_to_close_timeout=timedelta(minutes=2),
        retry_policy=RetryPolicy(maximum_attempts=step.max_attempts),
    )
    return result


async def sla_threshold(params: SlaThresholdInput) -> None:
    await _write(ACT_SLA_THRESHOLD, params)


async def sla_reschedule(params: SlaRescheduleInput) -> None:
    await _write(ACT_SLA_RESCHEDULE, params)


async def record_event_received(params: EventReceivedInput) -> None:
    await _write(ACT_RECORD_EVENT_RECEIVED, params)


async def set_hold(params: SetHoldInput) -> None:
    await _write(ACT_SET_HOLD, params)


async def set_priority(params: SetPriorityInput) -> None:
    await _write(ACT_SET_PRIORITY, params)


async def lookup_worker(params: LookupWorkerInput) -> WorkerLookup:
    """Read who a person is (role, skills, availability) for the workflow to decide with."""
    result: WorkerLookup = await workflow.execute_activity(
        ACT_LOOKUP_WORKER,
        params,
        result_type=WorkerLookup,
        start_to_close_timeout=_READ_MODEL_TIMEOUT,
        retry_policy=_READ_MODEL_RETRY,
    )
    return result
