"""A task's live SLA clock inside the engagement workflow: durable timers, no polling.

The clock sleeps until the next threshold (warning, breach, escalation) with
`workflow.wait_condition(..., timeout=...)`, which is a Temporal timer: it survives worker crashes
and fires on time. While the engagement is on hold no timer runs; on resume every pending instant
and the due time move later by the business time held (sla.shift_for_pause).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.messages import SlaRescheduleInput, SlaThresholdInput
    from domain.templates import SlaSpec
    from sla import BusinessCalendar, Threshold, due_at, shift_for_pause, thresholds
    from sla.from_template import policy_for
    from workflows import calls


# The `holidays` library localises holiday names through `locale`/`gettext`, which the workflow
# sandbox forbids. The arithmetic is still deterministic (a pure function of its arguments and the
# pinned library version), so it runs with the sandbox lifted.


class SlaClock:
    def __init__(
        self,
        spec: SlaSpec,
        calendar: BusinessCalendar,
        start: datetime,
        court_deadline: datetime | None,
        buffer: timedelta,
        factor: float = 1.0,
    ) -> None:
        policy = policy_for(spec)
        if factor != 1.0:  # the firm's contract scales targets by priority
            policy = replace(policy, target=policy.target * factor)
        self._calendar: BusinessCalendar | None = (
            calendar if policy.calendar == "business" else None
        )
        with workflow.unsafe.sandbox_unrestricted():  # see the note above the class
            self.due_at = due_at(policy, calendar, start, court_deadline, buffer)
            self._pending: list[Threshold] = thresholds(
                policy, calendar, start, court_deadline, buffer
            )
        warnings = [t.at for t in self._pending if t.kind == "warning"]
        self.warn_at: datetime | None = warnings[0] if warnings else None

    async def run(
        self,
        *,
        task_id: str,
        engagement_id: str,
        firm_id: str,
        step_id: str,
        finished: Callable[[], bool],
        on_hold: Callable[[], bool],
    ) -> None:
        """Fire each threshold at its instant until `finished()`; pause while `on_hold()`."""
        while self._pending and not finished():
            if on_hold():
                held_from = workflow.now()
                await workflow.wait_condition(lambda: finished() or not on_hold())
                if finished():
                    return
                await self._shift(held_from, workflow.now(), task_id, engagement_id)
                continue
            wait = max(self._pending[0].at - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(lambda: finished() or on_hold(), timeout=wait)
            except TimeoutError:
                threshold = self._pending.pop(0)
                await calls.sla_threshold(
                    SlaThresholdInput(
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
                )

    async def _shift(
        self, held_from: datetime, resumed_at: datetime, task_id: str, engagement_id: str
    ) -> None:
        def moved(instant: datetime) -> datetime:
            with workflow.unsafe.sandbox_unrestricted():  # see the note above the class
                return shift_for_pause(instant, self._calendar, held_from, resumed_at)

        self.due_at = moved(self.due_at)
        self._pending = [
            Threshold(
                at=moved(t.at),
                kind=t.kind,
                fraction=t.fraction,
                action=t.action,
                queue=t.queue,
                to=t.to,
            )
            for t in self._pending
        ]
        if self.warn_at is not None:
            self.warn_at = moved(self.warn_at)
        breached = not any(t.kind == "breach" for t in self._pending)
        warned = not any(t.kind == "warning" for t in self._pending) and self.warn_at is not None
        await calls.sla_reschedule(
            SlaRescheduleInput(
                task_id=task_id,
                engagement_id=engagement_id,
                due_at=self.due_at,
                warn_at=self.warn_at,
                sla_state="breached" if breached else "at_risk" if warned else "on_track",
            )
        )
