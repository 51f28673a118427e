"""Holiday calendars by code (``US-FED``, ``US-CA``, …), from the statutes' reviewed data files.

``US-FED`` is the federal legal public holidays of 5 U.S.C. 6103; ``US-XX`` is state XX's own
statutory list (which may or may not repeat the federal days: combine it with ``US-FED``). Each
calendar is a YAML file under ``sla/holiday_calendars/`` that cites its statute and its weekend
rule, because the observed day differs by state (docs/holiday-calendars.md). A code without a file
is refused with the list of supported codes: guessing a state's holidays from a general-purpose
library put Susan B. Anthony Day into New York's and left Lincoln Day out of California's.

Lookups are memoised per (code, year); that is pure caching of a deterministic table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

from sla.holiday_calendars import HolidayCalendar, load_calendars

FEDERAL = "US-FED"


def known_calendar_codes() -> tuple[str, ...]:
    """Every supported holiday-calendar code, ``US-FED`` first."""
    return tuple(load_calendars())


def state_codes() -> tuple[str, ...]:
    """The two-letter states and districts that have a calendar (``CA``, ``DC``, …)."""
    return tuple(code.removeprefix("US-") for code in known_calendar_codes() if code != FEDERAL)


def validate_calendar_code(code: str) -> str:
    """Return ``code`` if it names a supported holiday calendar, else raise ``ValueError``."""
    if code not in load_calendars():
        raise ValueError(
            f"unknown holiday calendar {code!r}: supported calendars are "
            f"{', '.join(known_calendar_codes())} (each from its statute, see "
            "docs/holiday-calendars.md)"
        )
    return code


def calendar(code: str) -> HolidayCalendar:
    """The reviewed data behind calendar ``code``."""
    return load_calendars()[validate_calendar_code(code)]


@lru_cache(maxsize=1024)
def _holidays_for_year(code: str, year: int) -> Mapping[date, str]:
    return calendar(code).holidays_in_year(year)


def holiday_name(code: str, day: date) -> str | None:
    """The holiday's name if ``day`` is a holiday (or observed holiday) in calendar ``code``."""
    return _holidays_for_year(code, day.year).get(day)


def holidays_in_year(code: str, year: int) -> Mapping[date, str]:
    """All holidays of calendar ``code`` in ``year``, observed days included."""
    return _holidays_for_year(code, year)


def resolve_holidays(codes: Iterable[str], first_year: int, last_year: int) -> dict[date, str]:
    """Every holiday of ``codes`` from ``first_year`` to ``last_year`` inclusive, as explicit
    dates (the first calendar's name wins a shared day): what an engagement carries so that no
    holiday rule runs inside a workflow."""
    found: dict[date, str] = {}
    for year in range(first_year, last_year + 1):
        for code in codes:
            for day, name in holidays_in_year(code, year).items():
                found.setdefault(day, name)
    return dict(sorted(found.items()))
