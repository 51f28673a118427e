"""Holiday calendars by code (``US-FED``, ``US-CA``, …), backed by the ``holidays`` library.

``US-FED`` is the federal legal holidays of 5 U.S.C. 6103(a), with the observed day (Saturday
holiday -> Friday, Sunday holiday -> Monday) listed as well, because courts and federal offices
close on the observed day. ``US-XX`` is what the ``holidays`` library lists for state or territory
XX: the federal holidays that state keeps plus its own (e.g. Patriots' Day in ``US-MA``).

Lookups are memoised per (code, year); that is pure caching of a deterministic table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType

import holidays

FEDERAL = "US-FED"


@lru_cache(maxsize=1)
def us_subdivisions() -> tuple[str, ...]:
    """Two-letter US states and territories the holiday library knows."""
    return tuple(holidays.list_supported_countries()["US"])


def known_calendar_codes() -> tuple[str, ...]:
    """Every accepted holiday-calendar code, ``US-FED`` first."""
    return (FEDERAL, *(f"US-{sub}" for sub in us_subdivisions()))


def validate_calendar_code(code: str) -> str:
    """Return ``code`` if it names a known holiday calendar, else raise ``ValueError``."""
    if code == FEDERAL:
        return code
    prefix, _, sub = code.partition("-")
    if prefix != "US" or sub not in us_subdivisions():
        raise ValueError(
            f"unknown holiday calendar {code!r}: use 'US-FED' or 'US-XX' with XX a US state or "
            "territory code, e.g. 'US-CA'"
        )
    return code


@lru_cache(maxsize=1024)
def _holidays_for_year(code: str, year: int) -> Mapping[date, str]:
    validate_calendar_code(code)
    subdiv = None if code == FEDERAL else code.removeprefix("US-")
    table = holidays.country_holidays("US", subdiv=subdiv, years=year, observed=True)
    return MappingProxyType({day: str(name) for day, name in table.items() if day.year == year})


def holiday_name(code: str, day: date) -> str | None:
    """The holiday's name if ``day`` is a holiday (or observed holiday) in calendar ``code``."""
    return _holidays_for_year(code, day.year).get(day)


def holidays_in_year(code: str, year: int) -> Mapping[date, str]:
    """All holidays of calendar ``code`` in ``year``, observed days included."""
    return _holidays_for_year(code, year)
