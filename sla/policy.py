"""SLA policies: a target duration on a business or 24x7 clock, warnings and escalations.

Everything here is a pure function of its arguments; callers pass ``now`` (workflows pass
``workflow.now()``) and turn the instants into durable timers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from sla.business_time import add_business_time, add_wall_time, business_time_between
from sla.calendar import BusinessCalendar

Clock = Literal["business", "24x7"]
Action = Literal["notify", "raise_priority", "move_queue", "reassign"]
ThresholdKind = Literal["warning", "breach", "escalation"]
SlaState = Literal["on_track", "at_risk", "breached", "met", "paused"]

_ACTIONS = ("notify", "raise_priority", "move_queue", "reassign")
_ZERO = timedelta(0)


@dataclass(frozen=True)
class Escalation:
    """Do ``action`` once ``at`` (a fraction of the target, or ``"breach"`` = 1.0) has elapsed.

    ``reassign`` gives the task to the user named by ``to``, or without ``to`` takes it back from
    its holder so the next free clerk gets it.
    """

    at: float | Literal["breach"]
    action: Action
    queue: str | None = None
    to: str | None = None

    def __post_init__(self) -> None:
        at = self.at
        numeric = isinstance(at, int | float) and not isinstance(at, bool)
        if at != "breach" and not (numeric and math.isfinite(at) and at > 0):
            raise ValueError(
                f"escalation 'at' must be a positive fraction of the target or 'breach', got {at!r}"
            )
        if self.action not in _ACTIONS:
            raise ValueError(f"unknown escalation action {self.action!r}; use one of {_ACTIONS}")
        if self.action == "move_queue" and not self.queue:
            raise ValueError("a 'move_queue' escalation needs a 'queue'")

    @property
    def fraction(self) -> float:
        """The fraction of the target at which this escalation fires."""
        return 1.0 if self.at == "breach" else float(self.at)


@dataclass(frozen=True)
class SlaPolicy:
    """A service-level target, the fractions at which to warn, and the escalation ladder."""

    target: timedelta
    calendar: Clock = "business"
    warn_at: tuple[float, ...] = ()
    escalations: tuple[Escalation, ...] = ()

    def __post_init__(self) -> None:
        if self.target <= _ZERO:
            raise ValueError(f"SLA target must be positive, got {self.target}")
        if self.calendar not in ("business", "24x7"):
            raise ValueError(f"SLA calendar must be 'business' or '24x7', got {self.calendar!r}")
        for fraction in self.warn_at:
            if not 0 < fraction < 1:
                raise ValueError(
                    f"warn_at fractions must lie strictly between 0 and 1, got {fraction!r}"
                )
        object.__setattr__(self, "warn_at", tuple(self.warn_at))
        object.__setattr__(self, "escalations", tuple(self.escalations))


@dataclass(frozen=True)
class Threshold:
    """One instant at which the SLA clock wants something to happen."""

    at: datetime
    kind: ThresholdKind
    fraction: float
    action: Action | None = None
    queue: str | None = None
    to: str | None = None


_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)
_UNIT_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


def parse_iso_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration such as ``PT8H``, ``P2D``, ``PT30S`` or ``P1DT4H``.

    Years and months are refused because they have no fixed length; a day is 24 hours here (on a
    business clock, use hours: ``PT8H`` is one working day of 9-to-5).
    """
    cleaned = text.strip()
    match = _DURATION.fullmatch(cleaned)
    if match is None or not any(match.groupdict().values()) or cleaned.endswith("T"):
        hint = ""
        if re.search(r"\d+Y", cleaned) or re.match(r"P[^T]*\d+M", cleaned):
            hint = "; years and months have no fixed length, use days (e.g. P30D) instead"
        raise ValueError(
            f"invalid ISO-8601 duration {text!r}: expected e.g. 'PT8H', 'P2D', 'PT30S', "
            f"'P1DT4H'{hint}"
        )
    seconds = sum(
        (
            Decimal(value.replace(",", ".")) * _UNIT_SECONDS[unit]
            for unit, value in match.groupdict().items()
            if value
        ),
        Decimal(0),
    )
    return timedelta(microseconds=int((seconds * 1_000_000).to_integral_value()))


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _advance(
    policy: SlaPolicy, cal: BusinessCalendar, start: datetime, span: timedelta
) -> datetime:
    if policy.calendar == "business":
        return add_business_time(cal, start, span)
    return add_wall_time(start, span).astimezone(cal.zone)


def _elapsed(policy: SlaPolicy, cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    if policy.calendar == "business":
        return business_time_between(cal, start, end)
    return max(end - start, _ZERO)


def due_at(
    policy: SlaPolicy,
    cal: BusinessCalendar,
    start: datetime,
    court_deadline: datetime | None = None,
    safety_buffer: timedelta = _ZERO,
) -> datetime:
    """When the work is due: ``start`` plus the target on the policy's clock, in ``cal``'s zone.

    A court deadline caps it: the work is due no later than ``court_deadline - safety_buffer``
    (the buffer is wall-clock time, leaving room for review and filing).
    """
    _require_aware("start", start)
    if safety_buffer < _ZERO:
        raise ValueError(f"safety_buffer must not be negative, got {safety_buffer}")
    due = _advance(policy, cal, start, policy.target)
    if court_deadline is None:
        return due
    _require_aware("court_deadline", court_deadline)
    cap = (court_deadline - safety_buffer).astimezone(cal.zone)
    return min(due, cap)


def thresholds(
    policy: SlaPolicy,
    cal: BusinessCalendar,
    start: datetime,
    court_deadline: datetime | None = None,
    safety_buffer: timedelta = _ZERO,
) -> list[Threshold]:
    """Every warning, the breach and every escalation as absolute instants, sorted by time.

    If a court deadline brings the due time forward, fractions apply to the time actually available
    (so a 75% warning still comes before the capped due time).
    """
    due = due_at(policy, cal, start, court_deadline, safety_buffer)
    available = _elapsed(policy, cal, start, due)

    def instant(fraction: float) -> datetime:
        return due if fraction == 1.0 else _advance(policy, cal, start, available * fraction)

    found = [Threshold(at=instant(f), kind="warning", fraction=f) for f in policy.warn_at]
    found.append(Threshold(at=due, kind="breach", fraction=1.0))
    found.extend(
        Threshold(
            at=instant(esc.fraction),
            kind="escalation",
            fraction=esc.fraction,
            action=esc.action,
            queue=esc.queue,
            to=esc.to,
        )
        for esc in policy.escalations
    )
    order: dict[ThresholdKind, int] = {"warning": 0, "breach": 1, "escalation": 2}
    return sorted(found, key=lambda t: (t.at, order[t.kind], t.fraction))


def sla_state(
    due_at: datetime,
    now: datetime,
    warn_at_instant: datetime | None = None,
    completed_at: datetime | None = None,
    paused: bool = False,
) -> SlaState:
    """The SLA state at ``now``.

    Completed work is ``met`` if finished at or before the due time, else ``breached``. Open work
    is ``paused`` while its clock is held, ``breached`` from the due instant on, ``at_risk`` from
    the warning instant on, and ``on_track`` before that.
    """
    for name, value in (("due_at", due_at), ("now", now)):
        _require_aware(name, value)
    if completed_at is not None:
        _require_aware("completed_at", completed_at)
        return "met" if completed_at <= due_at else "breached"
    if paused:
        return "paused"
    if now >= due_at:
        return "breached"
    if warn_at_instant is not None:
        _require_aware("warn_at_instant", warn_at_instant)
        if now >= warn_at_instant:
            return "at_risk"
    return "on_track"


def shift_for_pause(
    due: datetime, cal: BusinessCalendar | None, paused_from: datetime, resumed_at: datetime
) -> datetime:
    """Move ``due`` later by the time the clock was held from ``paused_from`` to ``resumed_at``.

    With a calendar, only business time held counts and the due time moves by business time (a
    pause over a weekend costs nothing); with ``cal=None`` (a 24x7 clock) wall time is used.
    """
    for name, value in (("due", due), ("paused_from", paused_from), ("resumed_at", resumed_at)):
        _require_aware(name, value)
    if resumed_at < paused_from:
        raise ValueError("resumed_at must not be before paused_from")
    if cal is None:
        return add_wall_time(due, resumed_at - paused_from)
    held = business_time_between(cal, paused_from, resumed_at)
    # Zero held time leaves the due time alone (adding zero from closing time would move it).
    return due if held == _ZERO else add_business_time(cal, due, held)
