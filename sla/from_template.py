"""Turn a template step's `sla` block and a firm's calendar settings into the SLA engine's types."""

from __future__ import annotations

from domain.messages import CalendarSpec
from domain.templates import SlaSpec
from sla.calendar import BusinessCalendar
from sla.holiday_sources import known_calendar_codes, resolve_holidays
from sla.policy import Escalation, SlaPolicy, parse_iso_duration

# The years an engagement's holidays are resolved for, around the year it starts: one back (a
# start in early January looks at late December) and three ahead (longer than any SLA runs).
RESOLVED_YEARS_BEFORE = 1
RESOLVED_YEARS_AFTER = 3


def policy_for(spec: SlaSpec) -> SlaPolicy:
    return SlaPolicy(
        target=parse_iso_duration(spec.target),
        calendar=spec.calendar,
        warn_at=tuple(spec.warn_at),
        escalations=tuple(
            Escalation(at=e.at, action=e.action, queue=e.queue, to=e.to) for e in spec.escalations
        ),
    )


def resolve_calendar(spec: CalendarSpec, start_year: int) -> CalendarSpec:
    """``spec`` with its holiday codes expanded into explicit dates for the years around
    ``start_year``; raises ``ValueError`` for a code without a statutory calendar."""
    first, last = start_year - RESOLVED_YEARS_BEFORE, start_year + RESOLVED_YEARS_AFTER
    return spec.model_copy(
        update={
            "resolved_holidays": resolve_holidays(spec.holidays, first, last),
            "resolved_years": [first, last],
        }
    )


def calendar_for(spec: CalendarSpec) -> BusinessCalendar:
    """The engagement's calendar: its resolved dates, or (inputs from before statutory
    calendars) its codes expanded from the data files. Such an old input may name a code that has
    no data file: it is dropped, so the calendar has fewer holidays and due times come earlier,
    never later."""
    if spec.resolved_holidays is not None and spec.resolved_years is not None:
        first, last = spec.resolved_years
        return BusinessCalendar.from_config(
            spec.timezone,
            spec.business_hours,
            spec.holidays,
            resolved=spec.resolved_holidays,
            resolved_years=(first, last),
        )
    known = set(known_calendar_codes())
    codes = [code for code in spec.holidays if code in known]
    return BusinessCalendar.from_config(spec.timezone, spec.business_hours, codes)
