"""The engagement workflow: interprets a template snapshot, one step at a time.

Deterministic by construction: time comes from `workflow.now()`, ids from `workflow.uuid4()`, and
every side effect (task rows, timeline, audit, e-filing) is an activity in `workflows/calls.py`.
Human actions arrive as Updates whose validators refuse a bad transition before it is written to
history. A fan-out step runs each item as a child run of this same workflow.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.date_rules import date_rule_problems, latest_captured
    from domain.enums import EngagementStatus, Priority
    from domain.errors import ErrorType
    from domain.messages import (
        ENGAGEMENT_WORKFLOW,
        QUERY_STATE,
        SIGNAL_PARENT_HOLD,
        SIGNAL_PARENT_RETRY,
        UPDATE_CANCEL,
        UPDATE_COMPLETE_TASK,
        UPDATE_HOLD,
        UPDATE_POST_EVENT,
        UPDATE_RESUME,
        UPDATE_RETRY,
        UPDATE_SET_PRIORITY,
        CancelRequest,
        CompleteTaskRequest,
        CompleteTaskResult,
        ControlResult,
        CreateTaskInput,
        EngagementInput,
        EngagementResult,
        EngagementState,
        EventReceivedInput,
        FanoutContext,
        HoldRequest,
        PostEventRequest,
        PostEventResult,
        RecordCompletionInput,
        SetHoldInput,
        SetPriorityInput,
        SetPriorityRequest,
        StepCompletion,
    )
    from domain.templates import (
        END,
        FAIL,
        ApprovalStep,
        AutomatedStep,
        FanoutStep,
        HumanStep,
        Step,
        Template,
        WaitStep,
    )
    from sla import parse_iso_duration
    from sla.day_count import deadline_after, local_date
    from sla.from_template import calendar_for
    from workflows import calls, progress
    from workflows.escalation import OpenTask
    from workflows.sla_clock import SlaClock

CLOSED = (EngagementStatus.COMPLETED, EngagementStatus.CANCELLED, EngagementStatus.FAILED)
ESCALATION_QUEUE = "escalations"
WAIT_QUEUE = "waits"
# Histories from before this change held the parent alone; they must replay unchanged.
HOLD_REACHES_CHILDREN = "hold-reaches-fanout-children"
# A wait whose deadline counts from a captured date (45 CFR 164.524(b)(2): from the provider's
# receipt of the request); templates before it had none, so old histories never reach the patch.
WAIT_DEADLINE_FROM_CAPTURED = "wait-deadline-from-captured-date"


def _refuse(type_: ErrorType, message: str) -> ApplicationError:
    return ApplicationError(message, type=type_.value, non_retryable=True)


@workflow.defn(name=ENGAGEMENT_WORKFLOW)
class EngagementWorkflow:
    @workflow.init
    def __init__(self, params: EngagementInput) -> None:
        self._params = params
        self._template = params.template
        if params.calendar.resolved_holidays is not None:
            # Explicit dates resolved when the engagement started: no holiday rule runs here.
            self._calendar = calendar_for(params.calendar)
        else:
            # An input from before resolved calendars: its codes are expanded from the packaged
            # data files, which are read from disk once per process (outside the sandbox's view).
            with workflow.unsafe.sandbox_unrestricted():
                self._calendar = calendar_for(params.calendar)
        self._state = params.state or EngagementState(priority=params.priority)
        self._completion_lock = asyncio.Lock()  # completions are written one at a time
        self._completed: set[str] = set()
        # The newest claim generation a completion was seen with, per task: the row holds the
        # fence (the activity writes only under the current claim); this refuses late stragglers
        # before they reach history.
        self._generations: dict[str, int] = {}
        self._cancel: CancelRequest | None = None
        self._wait_task: str | None = None  # the open wait's task id
        self._clock: SlaClock | None = None  # the current task's SLA clock
        self._open_task: OpenTask | None = None  # its facts, as escalations change them
        self._event: PostEventRequest | None = None
        self._children: list[str] = []  # running fan-out item workflow ids, in start order
        self._retry = False  # a manager asked a stuck engagement to run its step again
        self._retried_by: str | None = None

    def _priority_factor(self) -> float:
        return self._params.priority_factors.get(self._state.priority, 1.0)

    @property
    def _is_item(self) -> bool:
        return self._params.fanout is not None

    # ---- the interpreter -------------------------------------------------------------------

    @workflow.run
    async def run(self, params: EngagementInput) -> EngagementResult:
        state = self._state
        if state.current_step is None:
            state.current_step = self._template.first_step
            if not self._is_item:
                await calls.record_event(
                    self._params, "engagement.started", None, key_suffix="started"
                )

        steps_this_run = 0
        while state.current_step not in (END, FAIL) and self._cancel is None:
            # A held engagement starts no new step; running clocks pause (see SlaClock).
            await workflow.wait_condition(lambda: not state.on_hold or self._cancel is not None)
            if self._cancel is not None:
                break
            step = self._template.step(state.current_step)
            visit = state.visits.get(step.id, 0) + 1
            state.visits[step.id] = visit
            try:
                outcome = await self._run_step(step, visit)
            except Exception as error:  # a bug or bad data: show it (see _stuck), never loop
                if await self._stuck(step, visit, error):
                    continue  # retried: the same step again, as its next visit
                break  # cancelled while stuck
            if outcome is None:  # cancelled while the step ran
                break
            state.current_step = progress.next_step(self._template, state, step, outcome)
            steps_this_run += 1
            limit = self._params.steps_per_run
            if workflow.info().is_continue_as_new_suggested() or 0 < limit <= steps_this_run:
                # Between steps nothing is open: no clock, no wait, no task. Handlers finish
                # first so no Update is lost; the state travels into the next run.
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._params.model_copy(update={"state": state}))

        return await self._finish()

    async def _stuck(self, step: Step, visit: int, error: Exception) -> bool:
        """Park the engagement as `stuck` with the reason; True once a manager retries it.

        Without this, an exception in workflow code fails the workflow task, which Temporal
        retries forever while every read model says "running", and an activity that exhausted
        its attempts fails the workflow while its row still says "running". The reason names
        the error's type and message (our code's words, never client data).
        """
        state = self._state
        state.status = EngagementStatus.STUCK
        self._retry = False
        reason = f"{type(error).__name__}: {error}"[:500]
        workflow.logger.error(
            "engagement.stuck", extra={"step_id": step.id, "visit": visit, "error": reason}
        )
        await calls.record_event(
            self._params,
            "engagement.stuck",
            step.id,
            key_suffix=f"{step.id}:{visit}:stuck",
            status=EngagementStatus.STUCK,
            current_step=step.id,
            detail={"step_id": step.id, "visit": visit, "reason": reason},
        )
        await workflow.wait_condition(lambda: self._retry or self._cancel is not None)
        if self._cancel is not None:
            return False
        state.status = EngagementStatus.RUNNING
        await calls.record_event(
            self._params,
            "engagement.retried",
            step.id,
            key_suffix=f"{step.id}:{visit}:retried",
            status=EngagementStatus.RUNNING,
            current_step=step.id,
            actor_id=self._retried_by,
        )
        return True

    async def _run_step(self, step: Step, visit: int) -> str | None:
        if isinstance(step, HumanStep | ApprovalStep):
            return await self._run_task(step, visit)
        if isinstance(step, WaitStep):
            return await self._run_wait(step, visit)
        if isinstance(step, FanoutStep):
            return await self._run_fanout(step, visit)
        assert isinstance(step, AutomatedStep)
        result = await calls.run_automated(self._params, self._state, step, visit)
        await calls.record_event(
            self._params,
            "step.completed",
            step.id,
            key_suffix=f"{step.id}:{visit}:completed",
            detail={"outcome": result.outcome, **result.detail},
        )
        self._remember(step.id, visit, result.outcome, result.detail)
        return result.outcome

    def _new_task(self, step: Step, visit: int, **fields: Any) -> CreateTaskInput:
        return CreateTaskInput(
            task_id=str(workflow.uuid4()),
            engagement_id=self._params.engagement_id,
            firm_id=self._params.firm_id,
            step_id=step.id,
            visit=visit,
            item=self._params.fanout.index if self._params.fanout else 0,
            kind=step.kind,
            title=step.title,
            instructions=step.instructions,
            inputs=self._params.inputs,
            **fields,
        )

    async def _run_task(self, step: HumanStep | ApprovalStep, visit: int) -> str | None:
        state = self._state
        escalated = progress.rework_limit_exceeded(self._template, self._state)
        clock = (
            SlaClock(
                step.sla,
                self._calendar,
                workflow.now(),
                self._params.court_deadline,
                timedelta(hours=self._params.court_deadline_buffer_hours),
                factor=self._params.priority_factors.get(state.priority, 1.0),
            )
            if step.sla
            else None
        )
        task = self._new_task(
            step,
            visit,
            queue=ESCALATION_QUEUE if escalated else step.queue,
            skill=step.skill if isinstance(step, HumanStep) else None,
            priority=Priority.URGENT if escalated else state.priority,
            outcomes=list(step.outcomes),
            output_schema=step.output_schema,
            excluded_user_ids=progress.excluded_actors(self._state, step),
            assignee_id=None if escalated else progress.previous_actor(self._state, step.id),
            escalated=escalated,
            due_at=clock.due_at if clock else None,
            warn_at=clock.warn_at if clock else None,
        )
        # Current before the row exists: a clerk may complete the task in the same workflow
        # activation that resolves this activity, and Updates are applied first.
        state.current_task_id = task.task_id
        await calls.create_task(task)

        def finished() -> bool:
            return task.task_id in self._completed or self._cancel is not None

        self._clock = clock
        self._open_task = OpenTask(
            task_id=task.task_id,
            step_id=step.id,
            kind=step.kind,
            queue=task.queue,
            skill=task.skill,
            priority=task.priority,
            excluded_user_ids=task.excluded_user_ids,
        )
        if clock is not None:
            await clock.run(
                task_id=task.task_id,
                engagement_id=self._params.engagement_id,
                firm_id=self._params.firm_id,
                step_id=step.id,
                finished=finished,
                on_hold=lambda: state.on_hold,
                factor=self._priority_factor,
                open_task=self._open_task,
            )
        await workflow.wait_condition(finished)
        if task.task_id not in self._completed:
            return None
        return next(c.outcome for c in reversed(state.completions) if c.task_id == task.task_id)

    async def _run_wait(self, step: WaitStep, visit: int) -> str | None:
        """Wait for an external event; remind at each offset; take the timeout outcome at last."""
        deadline: tuple[datetime, str, date] | None = None
        if step.deadline is not None and workflow.patched(WAIT_DEADLINE_FROM_CAPTURED):
            deadline = self._captured_deadline(step)
        task = self._new_task(
            step,
            visit,
            queue=WAIT_QUEUE,
            priority=self._state.priority,
            outcomes=sorted(step.events),
            status="waiting",
            due_at=deadline[0] if deadline else None,
        )
        self._wait_task, self._event = task.task_id, None
        await calls.create_task(task)
        started = workflow.now()
        instants = [(started + parse_iso_duration(r), "reminder") for r in step.reminders]
        if step.timeout:
            instants.append((started + parse_iso_duration(step.timeout), "timeout"))
        if deadline is not None and step.deadline is not None:
            due, source, captured = deadline
            await calls.record_event(
                self._params,
                "wait.deadline",
                step.id,
                key_suffix=f"{task.task_id}:deadline",
                detail={
                    "task_id": task.task_id,
                    "due_at": due.isoformat(),
                    "counted_from": source,
                    "captured": captured.isoformat(),
                    "days": step.deadline.days,
                },
            )
            # Reminders after the deadline would reach no one: the step has ended by then.
            instants = [(at, kind) for at, kind in instants if at < due]
            instants.append((due, "timeout"))
        for number, (instant, kind) in enumerate(instants, start=1):
            try:
                await workflow.wait_condition(
                    lambda: self._event is not None or self._cancel is not None,
                    timeout=max(instant - workflow.now(), timedelta(0)),
                )
                break
            except TimeoutError:
                if kind == "timeout":
                    assert step.timeout_outcome is not None
                    await self._resolve_wait(step, task.task_id, "timeout", step.timeout_outcome)
                    return step.timeout_outcome
                await calls.record_event(
                    self._params,
                    "wait.reminder",
                    step.id,
                    key_suffix=f"{task.task_id}:reminder:{number}",
                    detail={"task_id": task.task_id, "waiting_for": sorted(step.events)},
                )
        await workflow.wait_condition(lambda: self._event is not None or self._cancel is not None)
        if self._event is None:
            return None
        return step.events[self._event.type]

    def _captured_deadline(self, step: WaitStep) -> tuple[datetime, str, date]:
        """The end of day N after the latest captured source date, in the deadline's zone."""
        assert step.deadline is not None
        spec = step.deadline
        found = latest_captured(spec.counted_from, progress.captured_outputs(self._state))
        if found is None:
            # A template path that reaches this wait without capturing its date: show it as a
            # stuck step (the reason names the sources) rather than guess a start.
            raise ValueError(
                f"step {step.id!r}: no date captured for its deadline "
                f"(counted from {', '.join(spec.counted_from)})"
            )
        source, captured = found
        with workflow.unsafe.sandbox_unrestricted():  # zoneinfo reads the tz database
            due = deadline_after(captured, spec.days, spec.zone or self._params.calendar.timezone)
        return due, source, captured

    def _today(self) -> date:
        """Today's date in the firm's zone (a receipt "today" in New York is today there)."""
        with workflow.unsafe.sandbox_unrestricted():  # zoneinfo reads the tz database
            return local_date(workflow.now(), self._params.calendar.timezone)

    async def _resolve_wait(
        self, step: WaitStep, task_id: str, event_type: str, outcome: str
    ) -> None:
        at = workflow.now()
        # Closed before the await: an event arriving while the timeout is written is refused.
        self._wait_task = None
        self._remember(step.id, self._state.visits[step.id], outcome, {"event": event_type})
        await calls.record_event_received(
            EventReceivedInput(
                task_id=task_id,
                engagement_id=self._params.engagement_id,
                firm_id=self._params.firm_id,
                step_id=step.id,
                type=event_type,
                outcome=outcome,
                at=at,
            )
        )

    async def _run_fanout(self, step: FanoutStep, visit: int) -> str | None:
        """One child run per input item, at most `concurrency` at a time, then join."""
        items = self._params.inputs.get(step.items) or []
        sub_template = Template(
            key=self._template.key,
            name=f"{self._template.name}: {step.title}",
            version=self._template.version,
            steps=step.steps,
        )
        running = 0
        results: dict[int, EngagementResult] = {}

        # A held engagement starts no new item either (older histories: see the patch).
        gate_on_hold = workflow.patched(HOLD_REACHES_CHILDREN)

        async def run_item(index: int, item: Any) -> None:
            nonlocal running
            await workflow.wait_condition(
                lambda: running < step.concurrency and not (gate_on_hold and self._state.on_hold)
            )
            running += 1
            child_id = f"{workflow.info().workflow_id}.{step.id}.{visit}.{index}"
            self._children.append(child_id)
            try:
                results[index] = await workflow.execute_child_workflow(
                    EngagementWorkflow.run,
                    self._params.model_copy(
                        update={
                            "template": sub_template,
                            "inputs": {**self._params.inputs, "item": item, "item_index": index},
                            "fanout": FanoutContext(parent_step=step.id, index=index),
                            "state": None,
                        }
                    ),
                    # Ids carry no client data: the parent's id, the step, the visit, the index.
                    id=child_id,
                )
            finally:
                running -= 1
                self._children.remove(child_id)

        joined = asyncio.gather(*(run_item(i, item) for i, item in enumerate(items, start=1)))
        await workflow.wait_condition(lambda: joined.done() or self._cancel is not None)
        if not joined.done():
            joined.cancel()
            return None
        await joined  # surfaces a child's failure
        failed = any(r.last_step == FAIL for r in results.values())
        outcome = "failed" if failed and "failed" in step.outcomes else "done"
        item_outputs = [results[i].outputs for i in sorted(results)]
        await calls.record_event(
            self._params,
            "step.completed",
            step.id,
            key_suffix=f"{step.id}:{visit}:completed",
            detail={"outcome": outcome, "items": len(items)},
        )
        self._remember(step.id, visit, outcome, {"items": item_outputs})
        return outcome

    def _remember(self, step_id: str, visit: int, outcome: str, output: dict[str, Any]) -> None:
        self._state.completions.append(
            StepCompletion(
                step_id=step_id, visit=visit, outcome=outcome, output=output, at=workflow.now()
            )
        )

    async def _finish(self) -> EngagementResult:
        await workflow.wait_condition(workflow.all_handlers_finished)
        state = self._state
        if self._cancel is not None:
            state.status = EngagementStatus.CANCELLED
        elif state.current_step == FAIL:
            state.status = EngagementStatus.FAILED
        else:
            state.status = EngagementStatus.COMPLETED
        result = EngagementResult(
            status=state.status,
            last_step=state.current_step,
            completions=len(state.completions),
            outputs={c.step_id: c.output for c in state.completions},
        )
        if self._is_item:
            return result  # the parent records the engagement's status
        if self._cancel is not None:
            await calls.cancel_open_tasks(self._params, self._cancel)
        await calls.record_event(
            self._params,
            f"engagement.{state.status.value}",
            None,
            key_suffix="closed",
            status=state.status,
            actor_id=self._cancel.actor.user_id if self._cancel else None,
            detail={"reason": self._cancel.reason} if self._cancel else {},
        )
        return result

    # ---- human actions ---------------------------------------------------------------------

    @workflow.update(name=UPDATE_COMPLETE_TASK)
    async def complete_task(self, request: CompleteTaskRequest) -> CompleteTaskResult:
        # One completion at a time (samples-python message_passing/safe_message_handlers): a
        # second one waits until the first is written or refused, then is checked again against
        # the state the first left behind.
        async with self._completion_lock:
            self._check_still_current(request)  # the actor's own eligibility cannot change
            state = self._state
            step = self._template.step(state.current_step or "")
            assert isinstance(step, HumanStep | ApprovalStep)
            if request.generation is not None:  # an older claim arriving later is refused
                seen = self._generations.get(request.task_id, 0)
                self._generations[request.task_id] = max(seen, request.generation)
            at = workflow.now()
            recorded = await calls.record_completion(
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
                    generation=request.generation,
                )
            )
            if not recorded.applied:
                # The claim this completion was made under was released, expired or reassigned
                # while the request was in flight: nothing is completed, in anyone's name.
                raise _refuse(ErrorType.TASK_NOT_HELD, recorded.reason or "the claim is gone")
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
        return CompleteTaskResult(
            task_id=request.task_id,
            step_id=step.id,
            outcome=request.outcome,
            next_step=step.outcomes[request.outcome],
        )

    def _check_still_current(self, request: CompleteTaskRequest) -> None:
        """The checks that depend on the engagement's state, which may move while a completion
        waits its turn; the validator ran them (and the rest) when the request arrived."""
        state = self._state
        self._refuse_unless_running()
        if state.on_hold:
            raise _refuse(ErrorType.CONFLICT, "the engagement is on hold; resume it first")
        if request.task_id != state.current_task_id or request.task_id in self._completed:
            raise _refuse(
                ErrorType.TASK_NOT_CURRENT, "this task is not the engagement's current task"
            )
        newest = self._generations.get(request.task_id, 0)
        if request.generation is not None and request.generation < newest:
            raise _refuse(
                ErrorType.TASK_NOT_HELD,
                f"your claim (generation {request.generation}) was superseded by generation "
                f"{newest}; nothing was completed",
            )

    @complete_task.validator
    def _validate_completion(self, request: CompleteTaskRequest) -> None:
        state = self._state
        self._check_still_current(request)
        step = self._template.step(state.current_step or "")
        if not isinstance(step, HumanStep | ApprovalStep):
            raise _refuse(ErrorType.TASK_NOT_CURRENT, "the current step takes no human completion")
        facts = progress.task_facts(self._params.firm_id, state, step)
        outputs = progress.captured_outputs(state)
        refused = progress.completion_refusal(step, request, facts, outputs, self._today())
        if refused is not None:
            raise _refuse(*refused)

    @workflow.update(name=UPDATE_POST_EVENT)
    async def post_event(self, request: PostEventRequest) -> PostEventResult:
        step = self._template.step(self._state.current_step or "")
        assert isinstance(step, WaitStep)
        outcome = step.events[request.type]
        at = workflow.now()
        # Every state change before the first await: by the time the activity returns, the
        # interpreter may have opened the next wait, whose fields this handler must not touch
        # (samples-python message_passing/safe_message_handlers). A second event is refused.
        self._event, self._wait_task = request, None
        self._remember(step.id, self._state.visits[step.id], outcome, request.payload)
        await calls.record_event_received(
            EventReceivedInput(
                task_id=request.task_id,
                engagement_id=self._params.engagement_id,
                firm_id=self._params.firm_id,
                step_id=step.id,
                type=request.type,
                payload=request.payload,
                actor=request.actor,
                outcome=outcome,
                at=at,
            )
        )
        return PostEventResult(step_id=step.id, outcome=outcome)

    @post_event.validator
    def _validate_event(self, request: PostEventRequest) -> None:
        self._refuse_unless_running()
        step = self._template.step(self._state.current_step or "")
        if (
            not isinstance(step, WaitStep)
            or self._wait_task != request.task_id
            or self._event is not None
        ):
            raise _refuse(ErrorType.EVENT_NOT_AWAITED, "no step is waiting for this event now")
        if request.type not in step.events:
            raise _refuse(
                ErrorType.EVENT_NOT_AWAITED,
                f"step {step.id!r} waits for {', '.join(sorted(step.events))}, "
                f"not {request.type!r}",
            )
        payload = step.payloads.get(request.type)
        if payload is not None and payload.date_rules:
            wrong = date_rule_problems(
                payload.date_rules,
                request.payload,
                progress.captured_outputs(self._state),
                self._today(),
            )
            if wrong:
                raise _refuse(ErrorType.OUTPUT_INVALID, "payload: " + "; ".join(wrong))

    @workflow.update(name=UPDATE_RETRY)
    async def retry(self, request: HoldRequest) -> ControlResult:
        """A stuck engagement (or any of its stuck fan-out items) runs its failed step again."""
        if self._state.status == EngagementStatus.STUCK:
            self._retry, self._retried_by = True, request.actor.user_id
        for child_id in list(self._children):
            with contextlib.suppress(FailureError):  # an item that finished meanwhile
                await workflow.get_external_workflow_handle(child_id).signal(
                    SIGNAL_PARENT_RETRY, request.actor.user_id
                )
        return ControlResult(status=EngagementStatus.RUNNING)

    @retry.validator
    def _validate_retry(self, request: HoldRequest) -> None:
        if self._cancel is not None or self._state.status in CLOSED:
            raise _refuse(ErrorType.ENGAGEMENT_CLOSED, "the engagement is no longer running")
        if self._state.status != EngagementStatus.STUCK and not self._children:
            raise _refuse(ErrorType.CONFLICT, "the engagement is not stuck: nothing to retry")

    @workflow.signal(name=SIGNAL_PARENT_RETRY)
    def parent_retry(self, actor_id: str) -> None:
        if self._state.status == EngagementStatus.STUCK:
            self._retry, self._retried_by = True, actor_id

    @workflow.update(name=UPDATE_CANCEL)
    async def cancel(self, request: CancelRequest) -> ControlResult:
        self._cancel = request
        return ControlResult(status=EngagementStatus.CANCELLED)

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if self._state.status != EngagementStatus.STUCK:  # a stuck engagement may be cancelled
            self._refuse_unless_running()

    @workflow.update(name=UPDATE_HOLD)
    async def hold(self, request: HoldRequest) -> ControlResult:
        self._state.on_hold, self._state.held_since = True, workflow.now()
        await self._record_hold(request, on_hold=True)
        await self._tell_children(on_hold=True)
        return ControlResult(status=EngagementStatus.ON_HOLD)

    @hold.validator
    def _validate_hold(self, request: HoldRequest) -> None:
        self._refuse_unless_running()
        if self._state.on_hold:
            raise _refuse(ErrorType.CONFLICT, "the engagement is on hold already")

    @workflow.update(name=UPDATE_RESUME)
    async def resume(self, request: HoldRequest) -> ControlResult:
        self._state.on_hold, self._state.held_since = False, None
        await self._record_hold(request, on_hold=False)
        await self._tell_children(on_hold=False)
        return ControlResult(status=EngagementStatus.RUNNING)

    async def _tell_children(self, *, on_hold: bool) -> None:
        """Running fan-out items pause (clocks, completions) and resume with their parent; the
        parent's activity already wrote the hold to every task row of the engagement."""
        if not workflow.patched(HOLD_REACHES_CHILDREN):
            return
        for child_id in list(self._children):
            # An item that finished meanwhile has nothing left to hold.
            with contextlib.suppress(FailureError):
                await workflow.get_external_workflow_handle(child_id).signal(
                    SIGNAL_PARENT_HOLD, on_hold
                )

    @workflow.signal(name=SIGNAL_PARENT_HOLD)
    def parent_hold(self, on_hold: bool) -> None:
        self._state.on_hold = on_hold
        self._state.held_since = workflow.now() if on_hold else None

    @resume.validator
    def _validate_resume(self, request: HoldRequest) -> None:
        self._refuse_unless_running()
        if not self._state.on_hold:
            raise _refuse(ErrorType.CONFLICT, "the engagement is not on hold")

    @workflow.update(name=UPDATE_SET_PRIORITY)
    async def set_priority(self, request: SetPriorityRequest) -> ControlResult:
        """A new priority re-ranks the open task and recomputes its SLA (the firm's factors)."""
        self._state.priority = request.priority
        if self._open_task is not None:
            self._open_task.priority = request.priority  # the row gets it too (below)
        clock = self._clock
        task_id = (
            self._state.current_task_id
            if self._state.current_task_id not in self._completed
            else None
        )
        if clock is not None and task_id is not None:
            clock.retarget(self._priority_factor())
        await calls.set_priority(
            SetPriorityInput(
                engagement_id=self._params.engagement_id,
                firm_id=self._params.firm_id,
                priority=request.priority,
                task_id=task_id,
                due_at=clock.due_at if clock and task_id else None,
                warn_at=clock.warn_at if clock and task_id else None,
                actor=request.actor,
                reason=request.reason,
                at=workflow.now(),
            )
        )
        return ControlResult(status=self._state.status)

    @set_priority.validator
    def _validate_priority(self, request: SetPriorityRequest) -> None:
        self._refuse_unless_running()

    async def _record_hold(self, request: HoldRequest, *, on_hold: bool) -> None:
        await calls.set_hold(
            SetHoldInput(
                engagement_id=self._params.engagement_id,
                firm_id=self._params.firm_id,
                on_hold=on_hold,
                actor=request.actor,
                reason=request.reason,
                at=workflow.now(),
            )
        )

    def _refuse_unless_running(self) -> None:
        if self._state.status == EngagementStatus.STUCK and self._cancel is None:
            raise _refuse(
                ErrorType.CONFLICT, "the engagement is stuck: a manager retries or cancels it"
            )
        if self._cancel is not None or self._state.status != EngagementStatus.RUNNING:
            raise _refuse(ErrorType.ENGAGEMENT_CLOSED, "the engagement is no longer running")

    @workflow.query(name=QUERY_STATE)
    def state(self) -> EngagementState:
        return self._state
