"""The engagement workflow: interprets a template snapshot, one step at a time.

Deterministic by construction: time comes from `workflow.now()`, ids from `workflow.uuid4()`, and
every side effect (task rows, timeline, audit, e-filing) is an activity in `workflows/calls.py`.
Human actions arrive as Updates whose validators refuse a bad transition before it is written to
history.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.enums import EngagementStatus, Priority, Role
    from domain.errors import ErrorType
    from domain.messages import (
        ENGAGEMENT_WORKFLOW,
        QUERY_STATE,
        UPDATE_CANCEL,
        UPDATE_COMPLETE_TASK,
        CancelRequest,
        CompleteTaskRequest,
        CompleteTaskResult,
        ControlResult,
        CreateTaskInput,
        EngagementInput,
        EngagementResult,
        EngagementState,
        RecordCompletionInput,
        StepCompletion,
    )
    from domain.templates import END, FAIL, ApprovalStep, AutomatedStep, HumanStep, Step
    from workflows import calls

ESCALATION_QUEUE = "escalations"


def _refuse(type_: ErrorType, message: str) -> ApplicationError:
    return ApplicationError(message, type=type_.value, non_retryable=True)


@workflow.defn(name=ENGAGEMENT_WORKFLOW)
class EngagementWorkflow:
    @workflow.init
    def __init__(self, params: EngagementInput) -> None:
        self._params = params
        self._template = params.template
        self._state = params.state or EngagementState(priority=params.priority)
        self._completing: str | None = None  # task id whose completion is being recorded
        self._completed: set[str] = set()
        self._cancel: CancelRequest | None = None

    # ---- the interpreter -------------------------------------------------------------------

    @workflow.run
    async def run(self, params: EngagementInput) -> EngagementResult:
        state = self._state
        if state.current_step is None:
            state.current_step = self._template.first_step
            await calls.record_event(self._params, "engagement.started", None, key_suffix="started")

        while state.current_step not in (END, FAIL) and self._cancel is None:
            step = self._template.step(state.current_step)
            visit = state.visits.get(step.id, 0) + 1
            state.visits[step.id] = visit
            outcome = await self._run_step(step, visit)
            if outcome is None:  # cancelled while the step ran
                break
            state.current_step = self._next_step(step, outcome)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._params.model_copy(update={"state": state}))

        return await self._finish()

    async def _run_step(self, step: Step, visit: int) -> str | None:
        if isinstance(step, HumanStep | ApprovalStep):
            return await self._run_task(step, visit)
        if isinstance(step, AutomatedStep):
            result = await calls.run_automated(self._params, self._state, step, visit)
            await calls.record_event(
                self._params,
                "step.completed",
                step.id,
                key_suffix=f"{step.id}:{visit}:completed",
                detail={"outcome": result.outcome, **result.detail},
            )
            return result.outcome
        raise ApplicationError(f"step kind {step.kind!r} is not supported yet", non_retryable=True)

    async def _run_task(self, step: HumanStep | ApprovalStep, visit: int) -> str | None:
        state = self._state
        task_id = str(workflow.uuid4())
        escalated = self._rework_limit_exceeded()
        # Current before the row exists: a clerk may complete the task in the same workflow
        # activation that resolves this activity, and Updates are applied first.
        state.current_task_id = task_id
        await calls.create_task(
            CreateTaskInput(
                task_id=task_id,
                engagement_id=self._params.engagement_id,
                firm_id=self._params.firm_id,
                step_id=step.id,
                visit=visit,
                kind=step.kind,
                title=step.title,
                queue=ESCALATION_QUEUE if escalated else step.queue,
                skill=step.skill if isinstance(step, HumanStep) else None,
                priority=Priority.URGENT if escalated else state.priority,
                outcomes=list(step.outcomes),
                output_schema=step.output_schema,
                instructions=step.instructions,
                inputs=self._params.inputs,
                excluded_user_ids=self._excluded_actors(step),
                assignee_id=None if escalated else self._previous_actor(step.id),
                escalated=escalated,
            )
        )
        await workflow.wait_condition(
            lambda: task_id in self._completed or self._cancel is not None
        )
        if task_id not in self._completed:
            return None
        return next(c.outcome for c in reversed(state.completions) if c.task_id == task_id)

    def _next_step(self, step: Step, outcome: str) -> str:
        target = step.outcomes[outcome]
        # Going back to an earlier step of the template is rework, counted against the sender's
        # max_rework (templates list steps in their forward order).
        if target not in (END, FAIL) and self._position(target) <= self._position(step.id):
            self._state.rework[step.id] = self._state.rework.get(step.id, 0) + 1
            self._state.rework_sender = step.id
        return target

    def _position(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self._template.steps) if s.id == step_id)

    def _rework_limit_exceeded(self) -> bool:
        sender, self._state.rework_sender = self._state.rework_sender, None
        if sender is None:
            return False
        limit = getattr(self._template.step(sender), "max_rework", None)
        return limit is not None and self._state.rework.get(sender, 0) > limit

    def _excluded_actors(self, step: HumanStep | ApprovalStep) -> list[str]:
        """Separation of duties: whoever completed a `not_by` step may not take this one."""
        return sorted(
            {
                c.actor_id
                for c in self._state.completions
                if c.step_id in step.not_by and c.actor_id is not None
            }
        )

    def _previous_actor(self, step_id: str) -> str | None:
        """Rework goes back to whoever did the step before (the same drafter), when known."""
        for completion in reversed(self._state.completions):
            if completion.step_id == step_id:
                return completion.actor_id
        return None

    async def _finish(self) -> EngagementResult:
        await workflow.wait_condition(workflow.all_handlers_finished)
        state = self._state
        if self._cancel is not None:
            state.status = EngagementStatus.CANCELLED
            await calls.cancel_open_tasks(self._params, self._cancel)
        elif state.current_step == FAIL:
            state.status = EngagementStatus.FAILED
        else:
            state.status = EngagementStatus.COMPLETED
        await calls.record_event(
            self._params,
            f"engagement.{state.status.value}",
            None,
            key_suffix="closed",
            status=state.status,
            actor_id=self._cancel.actor.user_id if self._cancel else None,
            detail={"reason": self._cancel.reason} if self._cancel else {},
        )
        return EngagementResult(
            status=state.status,
            last_step=state.current_step,
            completions=len(state.completions),
        )

    # ---- human actions ---------------------------------------------------------------------

    @workflow.update(name=UPDATE_COMPLETE_TASK)
    async def complete_task(self, request: CompleteTaskRequest) -> CompleteTaskResult:
        state = self._state
        step = self._template.step(state.current_step or "")
        assert isinstance(step, HumanStep | ApprovalStep)
        self._completing = request.task_id  # refuse a concurrent second completion meanwhile
        try:
            at = workflow.now()
            await calls.record_completion(
                RecordCompletionInput(
                    task_id=request.task_id,
                    engagement_id=self._params.engagement_id,
                    firm_id=self._params.firm_id,
                    step_id=step.id,
                    actor=request.actor,
                    outcome=request.outcome,
                    output=request.output,
                    note=request.note,
                    request_id=request.request_id,
                    at=at,
                )
            )
            state.completions.append(
                StepCompletion(
                    step_id=step.id,
                    visit=state.visits.get(step.id, 1),
                    task_id=request.task_id,
                    actor_id=request.actor.user_id,
                    outcome=request.outcome,
                    output=request.output,
                    note=request.note,
                    at=at,
                )
            )
            self._completed.add(request.task_id)
        finally:
            self._completing = None
        return CompleteTaskResult(
            task_id=request.task_id,
            step_id=step.id,
            outcome=request.outcome,
            next_step=step.outcomes[request.outcome],
        )

    @complete_task.validator
    def _validate_completion(self, request: CompleteTaskRequest) -> None:
        state = self._state
        if self._cancel is not None or state.status != EngagementStatus.RUNNING:
            raise _refuse(ErrorType.ENGAGEMENT_CLOSED, "the engagement is no longer running")
        if (
            request.task_id != state.current_task_id
            or request.task_id in self._completed
            or self._completing is not None
        ):
            raise _refuse(
                ErrorType.TASK_NOT_CURRENT, "this task is not the engagement's current task"
            )
        step = self._template.step(state.current_step or "")
        if not isinstance(step, HumanStep | ApprovalStep):
            raise _refuse(ErrorType.TASK_NOT_CURRENT, "the current step takes no human completion")
        if request.outcome not in step.outcomes:
            allowed = ", ".join(sorted(step.outcomes))
            raise _refuse(
                ErrorType.WRONG_OUTCOME,
                f"outcome {request.outcome!r} is not allowed at step {step.id!r} "
                f"(allowed: {allowed})",
            )
        if request.actor.user_id in self._excluded_actors(step):
            done_by = ", ".join(step.not_by)
            raise _refuse(
                ErrorType.SEPARATION_OF_DUTIES,
                f"step {step.id!r} may not be completed by whoever completed {done_by}",
            )
        if isinstance(step, ApprovalStep) and (
            request.actor.role != Role.PARTNER or request.actor.firm_id != self._params.firm_id
        ):
            raise _refuse(
                ErrorType.APPROVER_NOT_ALLOWED,
                "only a partner of the engagement's firm may approve this step",
            )
        needs_reason = request.outcome in step.reason_required
        if needs_reason and not (request.note or request.output.get("reasons")):
            raise _refuse(
                ErrorType.OUTPUT_INVALID,
                f"outcome {request.outcome!r} needs a reason: give `note` or `output.reasons`",
            )

    @workflow.update(name=UPDATE_CANCEL)
    async def cancel(self, request: CancelRequest) -> ControlResult:
        self._cancel = request
        return ControlResult(status=EngagementStatus.CANCELLED)

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if self._cancel is not None or self._state.status != EngagementStatus.RUNNING:
            raise _refuse(ErrorType.ENGAGEMENT_CLOSED, "the engagement is no longer running")

    @workflow.query(name=QUERY_STATE)
    def state(self) -> EngagementState:
        return self._state
