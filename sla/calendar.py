"""Business calendars: a time zone, weekly working hours, holiday calendars and firm closures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla.holiday_sources import FEDERAL, holiday_name, holidays_in_year, validate_calendar_code

NINE_TO_FIVE = (time(9, 0), time(17, 0))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIRM_CLOSURE = "Firm closure"


def _weekdays_nine_to_five() -> dict[int, tuple[time, time]]:
    return dict.fromkeys(range(5), NINE_TO_FIVE)


class UnresolvedHolidayError(ValueError):
    """A day outside the years an engagement's holidays were resolved for: it is refused rather
    than counted as a working day, because an unknown holiday must never shorten a deadline."""


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise ``ValueError`` (the API answers 422)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: expected an IANA name such as 'America/New_York'"
        ) from exc


@dataclass(frozen=True)
class BusinessCalendar:
    """When work happens: working hours per weekday in a local zone, minus holidays and closures.

    Working hours are local wall-clock times (``0`` = Monday); a day's hours must close after they
    open on the same day. Holiday calendars are codes such as ``"US-FED"`` or ``"US-CA"``, expanded
    from the statutes' data files (sla/holiday_calendars) with each statute's observed days.

    ``resolved`` replaces the codes with explicit ``{date: name}`` for the years ``resolved_years``
    (first, last): what an engagement carries from its start, so its calendar never changes when
    the data files do and no holiday rule runs inside a workflow. A day outside those years raises
    ``UnresolvedHolidayError``.
    """

    timezone: str = "America/New_York"
    hours: dict[int, tuple[time, time]] = field(default_factory=_weekdays_nine_to_five, hash=False)
    holiday_calendars: tuple[str, ...] = (FEDERAL,)
    closures: frozenset[date] = frozenset()
    resolved: Mapping[date, str] | None = field(default=None, hash=False)
    resolved_years: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        load_zone(self.timezone)
        if not self.hours:
            raise ValueError("a business calendar needs working hours on at least one weekday")
        for weekday, (opens, closes) in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday!r} is not 0 (Monday) .. 6 (Sunday)")
            if opens.tzinfo is not None or closes.tzinfo is not None:
                raise ValueError("working hours are local wall-clock times without a time zone")
            if not opens < closes:
                raise ValueError(
                    f"working hours on weekday {weekday} must close after they open "
                    f"(got {opens.isoformat()}-{closes.isoformat()})"
                )
        if (self.resolved is None) != (self.resolved_years is None):
            raise ValueError("resolved holidays need the years they cover, and only with them")
        if self.resolved is None:
            for code in self.holiday_calendars:
                validate_calendar_code(code)
        else:
            object.__setattr__(self, "resolved", dict(self.resolved))
        # Accept any iterable from callers (lists from JSON) but keep the frozen types.
        object.__setattr__(self, "holiday_calendars", tuple(self.holiday_calendars))
        object.__setattr__(self, "closures", frozenset(self.closures))

    @classmethod
    def default(cls, timezone: str = "America/New_York") -> BusinessCalendar:
        """Monday-Friday 09:00-17:00 in ``timezone`` with US federal holidays."""
        return cls(timezone=timezone)

    @classmethod
    def from_config(
        cls,
        timezone: str,
        business_hours: Mapping[str, Sequence[str]] | None,
        holiday_calendars: Sequence[str],
        closures: Iterable[date] = (),
        *,
        resolved: Mapping[date, str] | None = None,
        resolved_years: tuple[int, int] | None = None,
    ) -> BusinessCalendar:
        """Build from a firm's stored settings: ``{"mon": ["09:00", "17:00"], ...}``; None = 9-5."""
        if business_hours is None:
            hours = _weekdays_nine_to_five()
        else:
            hours = {}
            for day, span in business_hours.items():
                if day not in WEEKDAYS:
                    raise ValueError(f"business_hours: {day!r} is not one of {', '.join(WEEKDAYS)}")
                if len(span) != 2:
                    raise ValueError(
                        f"business_hours.{day}: expected [opens, closes] like ['09:00', '17:00']"
                    )
                try:
                    opens, closes = (time.fromisoformat(value) for value in span)
                except ValueError as exc:
                    raise ValueError(f"business_hours.{day}: times must look like '09:00'") from exc
                hours[WEEKDAYS.index(day)] = (opens, closes)
        return cls(
            timezone=timezone,
            hours=hours,
            holiday_calendars=tuple(holiday_calendars),
            closures=frozenset(closures),
            resolved=resolved,
            resolved_years=resolved_years,
        )

    def hours_config(self) -> dict[str, list[str]]:
        """The inverse of ``from_config``'s hours: what a firm row stores."""
        return {
            WEEKDAYS[day]: [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
            for day, (opens, closes) in sorted(self.hours.items())
        }

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return load_zone(self.timezone)

    def holiday_name(self, day: date) -> str | None:
        """Why ``day`` is closed, if it is a holiday or firm closure (weekends are not named)."""
        if day in self.closures:
            return FIRM_CLOSURE
        if self.resolved is not None:
            self._require_resolved(day.year)
            return self.resolved.get(day)
        for code in self.holiday_calendars:
            name = holiday_name(code, day)
            if name is not None:
                return name
        return None

    def is_business_day(self, day: date) -> bool:
        """True if ``day`` has working hours and is neither a holiday nor a firm closure."""
        return day.weekday() in self.hours and self.holiday_name(day) is None

    def holidays_between(self, start: date, end: date) -> dict[date, str]:
        """Holidays and firm closures from ``start`` to ``end`` inclusive, in date order."""
        found: dict[date, str] = {}
        if self.resolved is not None:
            for year in (start.year, end.year):
                self._require_resolved(year)
            found = {day: name for day, name in self.resolved.items() if start <= day <= end}
        else:
            for year in range(start.year, end.year + 1):
                for code in self.holiday_calendars:
                    for day, name in holidays_in_year(code, year).items():
                        if start <= day <= end:
                            found.setdefault(day, name)
        for day in self.closures:
            if start <= day <= end:
                found[day] = FIRM_CLOSURE
        return dict(sorted(found.items()))

    def _require_resolved(self, year: int) -> None:
        if self.resolved_years is None:
            return
        first, last = self.resolved_years
        if not first <= year <= last:
            raise UnresolvedHolidayError(
                f"holidays were resolved for {first}-{last} when the engagement started; {year} "
                "is outside them, so its working days are unknown (docs/holiday-calendars.md)"
            )

    def opening_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening and closing instants (UTC), or ``None`` if it is not a business day.

        Local times that do not exist (a DST gap) or exist twice (a DST overlap) resolve the way
        ``zoneinfo`` does with ``fold=0``: the offset in force before the transition.
        """
        if not self.is_business_day(day):
            return None
        opens, closes = self.hours[day.weekday()]
        zone = self.zone
        opening = datetime.combine(day, opens, zone).astimezone(UTC)
        closing = datetime.combine(day, closes, zone).astimezone(UTC)
        # Hours that lie wholly inside a DST gap (e.g. 02:00-02:30 on spring-forward day)
        # contain no real time at all.
        return (opening, closing) if opening < closing else None
