"""Pure, deterministic SLA and deadline arithmetic: business calendars, business time, FRCP court
days and SLA policies. Nothing here reads a clock or does I/O; callers pass ``now``."""

from sla.business_time import add_business_time, add_wall_time, business_time_between
from sla.calendar import BusinessCalendar
from sla.court_days import CourtDeadline, compute_court_deadline, list_jurisdictions
from sla.policy import (
    Escalation,
    SlaPolicy,
    Threshold,
    due_at,
    parse_iso_duration,
    shift_for_pause,
    sla_state,
    thresholds,
)

__all__ = [
    "BusinessCalendar",
    "CourtDeadline",
    "Escalation",
    "SlaPolicy",
    "Threshold",
    "add_business_time",
    "add_wall_time",
    "business_time_between",
    "compute_court_deadline",
    "due_at",
    "list_jurisdictions",
    "parse_iso_duration",
    "shift_for_pause",
    "sla_state",
    "thresholds",
]
