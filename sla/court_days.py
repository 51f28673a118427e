"""Federal court day-period deadlines under FRCP 6(a) and 6(d), explained step by step.

Periods in days or longer units (FRCP 6(a)(1)) and in hours (6(a)(2)); ``end_of_last_day`` is
when the last day ends for electronic filing (6(a)(4)(A)). The pre-2009 rule that skipped
weekends for periods under 11 days is deliberately not implemented. Every result must still be
verified by a person: local rules and orders override these defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sla.holiday_sources import FEDERAL, holiday_name, state_codes

Direction = Literal["after", "before"]
Service = Literal["electronic", "mail", "clerk", "other_consented", "personal"]

# FRCP 6(d): these methods of service add 3 days (5(b)(2)(C), (D), (F)).
_PLUS_THREE_SERVICE: Mapping[str, str] = {
    "mail": "mail (FRCP 5(b)(2)(C))",
    "clerk": "leaving it with the clerk (FRCP 5(b)(2)(D))",
    "other_consented": "other means consented to (FRCP 5(b)(2)(F))",
}
_NO_EXTRA_SERVICE: Mapping[str, str] = {
    "personal": "personal delivery (FRCP 5(b)(2)(A)-(B))",
    "electronic": "electronic means (FRCP 5(b)(2)(E))",
}
_SERVICE_DAYS = 3


@dataclass(frozen=True)
class CourtDeadline:
    """A computed deadline with the human-readable reasoning and the rules it relied on."""

    deadline: date
    explanation: list[str]
    rule_citations: list[str]
    jurisdiction: str
    period_end: date
    """The FRCP 6(a) date, before any FRCP 6(d) service days were added."""


def list_jurisdictions() -> list[str]:
    """``US-FED`` plus ``US-FED-XX`` for each state whose statutory holidays are on file (FRCP
    6(a)(6)(C) needs the state's list; a district without one is refused, never guessed)."""
    return [FEDERAL, *(f"{FEDERAL}-{state}" for state in sorted(state_codes()))]


def _state_of(jurisdiction: str) -> str | None:
    if jurisdiction not in list_jurisdictions():
        raise ValueError(
            f"unknown jurisdiction {jurisdiction!r}: supported jurisdictions are "
            f"{', '.join(list_jurisdictions())} (US-FED-XX is a federal district court in state "
            "XX, whose statutory holidays count for forward periods, FRCP 6(a)(6)(C))"
        )
    return None if jurisdiction == FEDERAL else jurisdiction.removeprefix(f"{FEDERAL}-")


def _fmt(day: date) -> str:
    return f"{day:%a} {day.isoformat()}"


class _CourtCalendar:
    """Which days are legal holidays for one period (FRCP 6(a)(6))."""

    def __init__(self, state: str | None, direction: Direction, declared: Mapping[date, str]):
        # 6(a)(6)(C): state holidays count only for periods measured forward from an event.
        self._state = state if direction == "after" else None
        self._declared = declared

    def legal_holiday(self, day: date) -> tuple[str, str] | None:
        """(name, citation) if ``day`` is a legal holiday for this period."""
        if day in self._declared:
            return self._declared[day], "FRCP 6(a)(6)(B)"
        name = holiday_name(FEDERAL, day)
        if name is not None:
            return name, "FRCP 6(a)(6)(A)"
        if self._state is not None:
            state_name = holiday_name(f"US-{self._state}", day)
            if state_name is not None:
                return f"{state_name} ({self._state} state holiday)", "FRCP 6(a)(6)(C)"
        return None

    def closed_reason(self, day: date) -> tuple[str, str | None] | None:
        """Why ``day`` cannot be the last day: (description, citation), or ``None`` if it can."""
        if day.weekday() >= 5:
            return "a weekend", None
        holiday = self.legal_holiday(day)
        if holiday is not None:
            return f"a legal holiday ({holiday[0]})", holiday[1]
        return None


class _Trail:
    """Explanation sentences and the de-duplicated rule citations behind them."""

    def __init__(self) -> None:
        self.sentences: list[str] = []
        self.citations: list[str] = []

    def add(self, sentence: str, *citations: str) -> None:
        self.sentences.append(sentence)
        for citation in citations:
            if citation not in self.citations:
                self.citations.append(citation)


def _roll(
    court: _CourtCalendar, trail: _Trail, label: str, day: date, direction: Direction
) -> date:
    """FRCP 6(a)(1)(C): a last day on a weekend or legal holiday runs to the next day that is
    not one; "next" is backward for backward-counted periods (6(a)(5))."""
    reason = court.closed_reason(day)
    if reason is None:
        trail.add(
            f"{label} is {_fmt(day)}, a court day: it is the last day (FRCP 6(a)(1)(C))",
            "FRCP 6(a)(1)(C)",
        )
        return day
    step = timedelta(days=1 if direction == "after" else -1)
    skipped: list[str] = []
    citations = ["FRCP 6(a)(1)(C)"]
    if reason[1] is not None:
        citations.append(reason[1])
    landed = day + step
    while (later := court.closed_reason(landed)) is not None:
        if later[1] is not None:
            skipped.append(f"{_fmt(landed)}, {later[0]}")
            citations.append(later[1])
        landed += step
    if direction == "before":
        citations.append("FRCP 6(a)(5)")
    way = "forward" if direction == "after" else "backward"
    past = f" past {'; '.join(skipped)}" if skipped else ""
    cite = ", ".join(dict.fromkeys(citations))
    trail.add(
        f"{label} is {_fmt(day)}, {reason[0]}: rolls {way}{past} to {_fmt(landed)} ({cite})",
        *citations,
    )
    return landed


def _extend_if_inaccessible(
    court: _CourtCalendar, trail: _Trail, day: date, inaccessible: frozenset[date]
) -> date:
    """FRCP 6(a)(3)(A): an inaccessible clerk's office on the last day extends the period to the
    first accessible day that is not a weekend or legal holiday, always forward (committee note
    example: even a backward-counted period moves later)."""
    if day not in inaccessible:
        return day
    landed = day + timedelta(days=1)
    while landed in inaccessible or court.closed_reason(landed) is not None:
        landed += timedelta(days=1)
    trail.add(
        f"Clerk's office inaccessible on {_fmt(day)}: extended to the first accessible day that "
        f"is not a weekend or legal holiday, {_fmt(landed)} (FRCP 6(a)(3)(A))",
        "FRCP 6(a)(3)(A)",
    )
    return landed


def _last_day(
    court: _CourtCalendar,
    trail: _Trail,
    label: str,
    day: date,
    direction: Direction,
    inaccessible: frozenset[date],
) -> date:
    return _extend_if_inaccessible(
        court, trail, _roll(court, trail, label, day, direction), inaccessible
    )


def _add_service_days(
    court: _CourtCalendar,
    trail: _Trail,
    service: Service,
    period_end: date,
    direction: Direction,
    inaccessible: frozenset[date],
) -> date:
    """FRCP 6(d): 3 days are added after the 6(a) period would otherwise expire for service by
    mail, leaving with the clerk or other consented means, then the new last day is re-rolled.
    Electronic service lost the 3 days in the amendment effective 1 Dec 2016."""
    if service in _NO_EXTRA_SERVICE:
        note = (
            " (electronic service lost the 3 extra days in the amendment effective 2016-12-01)"
            if service == "electronic"
            else ""
        )
        trail.add(
            f"Served by {_NO_EXTRA_SERVICE[service]}: no days added under FRCP 6(d){note}",
            "FRCP 6(d)",
        )
        return period_end
    if direction == "before":
        trail.add(
            "FRCP 6(d) adds days only to periods running after service; none added to a "
            "backward-counted period",
            "FRCP 6(d)",
        )
        return period_end
    added = period_end + timedelta(days=_SERVICE_DAYS)
    trail.add(
        f"Served by {_PLUS_THREE_SERVICE[service]}: {_SERVICE_DAYS} days added after the period "
        f"would otherwise expire, {_fmt(period_end)} + {_SERVICE_DAYS} = {_fmt(added)} "
        "(FRCP 6(d))",
        "FRCP 6(d)",
    )
    return _last_day(court, trail, "The new last day", added, direction, inaccessible)


def compute_court_deadline(
    trigger: date,
    days: int,
    direction: Direction,
    jurisdiction: str,
    service: Service | None = None,
    inaccessible: frozenset[date] = frozenset(),
    *,
    declared_holidays: Mapping[date, str] | None = None,
) -> CourtDeadline:
    """Compute a deadline ``days`` days ``after`` or ``before`` ``trigger`` under FRCP 6(a).

    ``jurisdiction`` is ``"US-FED"`` or ``"US-FED-XX"`` (a district court in state XX, whose state
    holidays count for forward periods only). ``service`` is how the triggering paper was served;
    mail, clerk and other consented service add 3 days under FRCP 6(d). ``inaccessible`` lists days
    the clerk's office was inaccessible; ``declared_holidays`` are days declared by the President
    or Congress (FRCP 6(a)(6)(B)), e.g. a national day of mourning. Raises ``ValueError`` for an
    unknown jurisdiction or a period shorter than one day.
    """
    state = _state_of(jurisdiction)
    if days < 1:
        raise ValueError(f"a day period must be at least 1 day, got {days}")
    if direction not in ("after", "before"):
        raise ValueError(f"direction must be 'after' or 'before', got {direction!r}")
    if service is not None and service not in {**_PLUS_THREE_SERVICE, **_NO_EXTRA_SERVICE}:
        raise ValueError(f"unknown service method {service!r}")
    court = _CourtCalendar(state, direction, declared_holidays or {})
    inaccessible = frozenset(inaccessible)
    trail = _Trail()

    trail.add(f"Trigger {_fmt(trigger)} excluded (FRCP 6(a)(1)(A))", "FRCP 6(a)(1)(A)")
    step = timedelta(days=1 if direction == "after" else -1)
    counted = [trigger + step * n for n in range(1, days + 1)]
    intermediate = [
        f"{_fmt(day)} ({holiday[0]})"
        for day in counted[:-1]
        if (holiday := court.legal_holiday(day)) is not None
    ]
    counted_note = (
        f"; intermediate legal holidays counted: {', '.join(intermediate)}" if intermediate else ""
    )
    trail.add(
        f"Counted {days} day{'s' if days != 1 else ''} {direction} the trigger, every day "
        "including intermediate Saturdays, Sundays and legal holidays (FRCP 6(a)(1)(B))"
        f"{counted_note}",
        "FRCP 6(a)(1)(B)",
    )
    period_end = _last_day(court, trail, f"Day {days}", counted[-1], direction, inaccessible)
    state_name = holiday_name(f"US-{state}", period_end) if state is not None else None
    if direction == "before" and state_name is not None and court.legal_holiday(period_end) is None:
        trail.add(
            f"{_fmt(period_end)} is {state_name}, a {state} state holiday, which is not a legal "
            "holiday for a backward-counted period (FRCP 6(a)(6)(C))",
            "FRCP 6(a)(6)(C)",
        )
    deadline = period_end
    if service is not None:
        deadline = _add_service_days(court, trail, service, period_end, direction, inaccessible)

    trail.add(f"Deadline: {_fmt(deadline)}")
    return CourtDeadline(
        deadline=deadline,
        explanation=trail.sentences,
        rule_citations=trail.citations,
        jurisdiction=jurisdiction,
        period_end=period_end,
    )


def _anniversary(trigger: date, years: int) -> date:
    """The same calendar date ``years`` later; 29 February maps to 28 February, the earlier of
    the two candidate days, because a deadline one day early is safe and one day late is not."""
    try:
        return trigger.replace(year=trigger.year + years)
    except ValueError:
        return trigger.replace(year=trigger.year + years, day=28)


def compute_court_years(
    trigger: date,
    years: int,
    jurisdiction: str,
    *,
    inaccessible: frozenset[date] = frozenset(),
    declared_holidays: Mapping[date, str] | None = None,
) -> CourtDeadline:
    """A period of ``years`` after ``trigger`` (FRCP 6(a)(1) covers "days or a longer unit"):
    the last day is the anniversary, rolled off a weekend or legal holiday like any last day."""
    if years < 1:
        raise ValueError(f"a year period must be at least 1 year, got {years}")
    court = _CourtCalendar(_state_of(jurisdiction), "after", declared_holidays or {})
    trail = _Trail()
    trail.add(f"Trigger {_fmt(trigger)} excluded (FRCP 6(a)(1)(A))", "FRCP 6(a)(1)(A)")
    last = _anniversary(trigger, years)
    trail.add(
        f"{years} year{'s' if years != 1 else ''} after the trigger ends on its anniversary, "
        f"{_fmt(last)}, counting every day (FRCP 6(a)(1)(B))",
        "FRCP 6(a)(1)(B)",
    )
    deadline = _last_day(court, trail, "The anniversary", last, "after", frozenset(inaccessible))
    trail.add(f"Deadline: {_fmt(deadline)}")
    return CourtDeadline(
        deadline=deadline,
        explanation=trail.sentences,
        rule_citations=trail.citations,
        jurisdiction=jurisdiction,
        period_end=deadline,
    )


@dataclass(frozen=True)
class CourtHoursDeadline:
    """When a period stated in hours ends (FRCP 6(a)(2)), with the reasoning."""

    ends_at: datetime
    explanation: list[str]
    rule_citations: list[str]
    jurisdiction: str


def compute_court_hours(
    start: datetime,
    hours: int,
    jurisdiction: str,
    court_timezone: str,
    *,
    declared_holidays: Mapping[date, str] | None = None,
    inaccessible: frozenset[date] = frozenset(),
) -> CourtHoursDeadline:
    """FRCP 6(a)(2): begin counting immediately on the event, count every hour (nights, weekends
    and holidays included: elapsed hours, so a DST change does not add or drop one), and if the
    period would end on a Saturday, Sunday or legal holiday, run to the same time on the next day
    that is not one. A clerk's office inaccessible on that day extends it to the same time on the
    first accessible such day (6(a)(3)(B), read per day: the caller names inaccessible days).
    """
    if start.tzinfo is None:
        raise ValueError("start needs a UTC offset")
    if hours < 1:
        raise ValueError(f"an hour period must be at least 1 hour, got {hours}")
    zone = ZoneInfo(court_timezone)
    court = _CourtCalendar(_state_of(jurisdiction), "after", declared_holidays or {})
    trail = _Trail()
    begun = start.astimezone(zone)
    trail.add(
        f"Counting begins immediately at the event, {begun.isoformat()} (FRCP 6(a)(2)(A))",
        "FRCP 6(a)(2)(A)",
    )
    ends = (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(zone)
    trail.add(
        f"Counted {hours} hour{'s' if hours != 1 else ''}, every hour including intermediate "
        f"Saturdays, Sundays and legal holidays: {ends.isoformat()} (FRCP 6(a)(2)(B))",
        "FRCP 6(a)(2)(B)",
    )
    day = ends.date()
    landed = day
    while (reason := court.closed_reason(landed)) is not None or landed in inaccessible:
        citations = ["FRCP 6(a)(2)(C)"] if reason is not None else ["FRCP 6(a)(3)(B)"]
        if reason is not None and reason[1] is not None:
            citations.append(reason[1])
        why = reason[0] if reason is not None else "a day the clerk's office is inaccessible"
        trail.add(
            f"{_fmt(landed)} is {why}: the period runs to the same time on the next day "
            f"({', '.join(citations)})",
            *citations,
        )
        landed += timedelta(days=1)
    if landed != day:
        wall = datetime.combine(landed, ends.time().replace(tzinfo=None))
        ends = wall.replace(tzinfo=zone)
    trail.add(f"Period ends: {ends.isoformat()}")
    return CourtHoursDeadline(
        ends_at=ends,
        explanation=trail.sentences,
        rule_citations=trail.citations,
        jurisdiction=jurisdiction,
    )


def end_of_last_day(day: date, timezone: str) -> datetime:
    """The last moment of `day` in the court's zone: FRCP 6(a)(4)(A) ends the last day "for
    electronic filing, at midnight in the court's time zone" (Fed. R. Civ. P. 6(a)(4), 2009
    amendments). A deadline given as a bare date means this instant, never 00:00 that morning."""
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(timezone))
