"""A task's live SLA clock inside the engagement workflow: durable timers, no polling.

The clock sleeps until the next threshold (warning, breach, escalation) with
`workflow.wait_condition(..., timeout=...)`, which is a Temporal timer: it survives worker crashes
and fires on time. While the engagement is on hold no timer runs; on resume every pending instant
and the due time move later by the business time held (sla.shift_for_pause).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.messages import SlaRescheduleInput, SlaThresholdInput
    from domain.templates import SlaSpec
    from sla import BusinessCalendar, Threshold, due_at, shift_for_pause, thresholds
    from sla.from_template import policy_for
    from workflows import calls, escalation


# A calendar with resolved dates (every engagement started since statutory calendars) is plain
# data and runs inside the sandbox. An older input's calendar expands holiday codes from the
# packaged data files on first use, a file read the sandbox forbids; that expansion is still a pure
# function of the files, so it alone runs with the sandbox lifted.


class SlaClock:
    """One task's clock: its due time and the thresholds still to fire."""

    def __init__(
        self,
        spec: SlaSpec,
        calendar: BusinessCalendar,
        start: datetime,
        court_deadline: datetime | None,
        buffer: timedelta,
        factor: float = 1.0,
    ) -> None:
        self._base = policy_for(spec)
        self._calendar = calendar
        self._start = start
        self._court_deadline = court_deadline
        self._buffer = buffer
        self._holds: list[tuple[datetime, datetime]] = []
        self._fired: set[tuple[str, float, str | None]] = set()
        self._changed = False
        self._schedule(factor)

    def _schedule(self, factor: float) -> None:
        """Due time and pending thresholds from the start, the factor and every hold so far."""
        # The firm's contract may scale targets by priority (domain.sla_contract).
        policy = replace(self._base, target=self._base.target * factor)
        business = self._calendar if policy.calendar == "business" else None
        sandbox = (
            contextlib.nullcontext()
            if self._calendar.resolved is not None
            else workflow.unsafe.sandbox_unrestricted()  # see the note above the class
        )
        with sandbox:
            due = due_at(policy, self._calendar, self._start, self._court_deadline, self._buffer)
            pending = thresholds(
                policy, self._calendar, self._start, self._court_deadline, self._buffer
            )
            for held_from, resumed_at in self._holds:
                due = shift_for_pause(due, business, held_from, resumed_at)
                pending = [
                    replace(t, at=shift_for_pause(t.at, business, held_from, resumed_at))
                    for t in pending
                ]
        self.due_at = due
        warnings = [t.at for t in pending if t.kind == "warning"]
        self.warn_at: datetime | None = warnings[0] if warnings else None
        self._pending = [t for t in pending if _key(t) not in self._fired]

    def retarget(self, factor: float) -> None:
        """A priority change: recompute from the start; the running loop reschedules."""
        self._schedule(factor)
        self._changed = True

    @property
    def state(self) -> str:
        if any(kind == "breach" for kind, _, _ in self._fired):
            return "breached"
        return "at_risk" if any(kind == "warning" for kind, _, _ in self._fired) else "on_track"

    async def run(
        self,
        *,
        task_id: str,
        engagement_id: str,
        firm_id: str,
        step_id: str,
        finished: Callable[[], bool],
        on_hold: Callable[[], bool],
        factor: Callable[[], float],
        open_task: escalation.OpenTask | None = None,
    ) -> None:
        """Fire each threshold at its instant until `finished()`; pause while `on_hold()`."""

        async def reschedule() -> None:
            await calls.sla_reschedule(
                SlaRescheduleInput(
                    task_id=task_id,
                    engagement_id=engagement_id,
                    due_at=self.due_at,
                    warn_at=self.warn_at,
                    sla_state=self.state,
                )
            )

        while self._pending and not finished():
            if on_hold():
                held_from = workflow.now()
                await workflow.wait_condition(lambda: finished() or not on_hold())
                if finished():
                    return
                self._holds.append((held_from, workflow.now()))
                self._schedule(factor())
                await reschedule()
                continue
            wait = max(self._pending[0].at - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(
                    lambda: finished() or on_hold() or self._changed, timeout=wait
                )
            except TimeoutError:
                threshold = self._pending.pop(0)
                self._fired.add(_key(threshold))
                params = SlaThresholdInput(
                    task_id=task_id,
                    engagement_id=engagement_id,
                    firm_id=firm_id,
                    step_id=step_id,
                    kind=threshold.kind,
                    fraction=threshold.fraction,
                    action=threshold.action,
                    queue=threshold.queue,
                    to=threshold.to,
                    due_at=self.due_at,
                    at=workflow.now(),
                )
                if open_task is not None and threshold.action:
                    params = await escalation.decide(open_task, firm_id, threshold, params)
                await calls.sla_threshold(params)
                continue
            if self._changed:
                self._changed = False
                await reschedule()


def _key(threshold: Threshold) -> tuple[str, float, str | None]:
    return (threshold.kind, threshold.fraction, threshold.action)
