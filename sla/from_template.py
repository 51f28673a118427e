"""Turn a template step's `sla` block and a firm's calendar settings into the SLA engine's types."""

from __future__ import annotations

from domain.messages import CalendarSpec
from domain.templates import SlaSpec
from sla.calendar import BusinessCalendar
from sla.policy import Escalation, SlaPolicy, parse_iso_duration


def policy_for(spec: SlaSpec) -> SlaPolicy:
    return SlaPolicy(
        target=parse_iso_duration(spec.target),
        calendar=spec.calendar,
        warn_at=tuple(spec.warn_at),
        escalations=tuple(
            Escalation(at=e.at, action=e.action, queue=e.queue, to=e.to) for e in spec.escalations
        ),
    )


def calendar_for(spec: CalendarSpec) -> BusinessCalendar:
    return BusinessCalendar.from_config(spec.timezone, spec.business_hours, spec.holidays)
