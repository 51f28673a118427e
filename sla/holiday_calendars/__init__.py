"""Statutory holiday calendars as reviewed data: one YAML file per calendar (``us-fed.yaml``,
``us-ny.yaml``, …), each holiday a rule with its own citation, expanded here into dates.

Every file cites its statute (section, public URL, the date its text was checked) and says how a
holiday on a Saturday or Sunday is observed, because that differs by state: 5 U.S.C. 6103(b)
moves a Saturday holiday to Friday, N.Y. Gen. Constr. Law § 24 only moves a Sunday holiday to
Monday. A holiday may override the calendar's rule (NY's Flag Day is never moved). The facts and
sources are in docs/holiday-calendars.md.

Expansion is a pure function of the file and the year; files are read once per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SaturdayRule = Literal["friday_before", "none"]
SundayRule = Literal["monday_after", "none"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fixed(_Model):
    """The same calendar date every year (``January 1``)."""

    kind: Literal["fixed"]
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    def in_year(self, year: int) -> date:
        return date(year, self.month, self.day)


class NthWeekday(_Model):
    """The nth weekday of a month (``n: -1`` is the last), plus ``offset_days`` (the day after
    Thanksgiving is the fourth Thursday of November + 1)."""

    kind: Literal["nth_weekday"]
    month: int = Field(ge=1, le=12)
    weekday: Weekday
    n: int = Field(ge=-1, le=5)
    offset_days: int = 0

    @model_validator(mode="after")
    def _not_zero(self) -> NthWeekday:
        if self.n == 0:
            raise ValueError("n is 1..5 or -1 (the last)")
        return self

    def in_year(self, year: int) -> date:
        target = _WEEKDAYS.index(self.weekday)
        if self.n > 0:
            first = date(year, self.month, 1)
            day = first + timedelta(days=(target - first.weekday()) % 7 + 7 * (self.n - 1))
            if day.month != self.month:
                raise ValueError(f"{year}-{self.month:02d} has no weekday number {self.n}")
        else:
            following = date(year + self.month // 12, self.month % 12 + 1, 1)
            last = following - timedelta(days=1)
            day = last - timedelta(days=(last.weekday() - target) % 7)
        return day + timedelta(days=self.offset_days)


class Easter(_Model):
    """A day counted from Western (Gregorian) Easter Sunday: Good Friday is ``offset_days: -2``."""

    kind: Literal["easter"]
    offset_days: int

    def in_year(self, year: int) -> date:
        return easter_sunday(year) + timedelta(days=self.offset_days)


class GeneralElection(_Model):
    """The Tuesday next after the first Monday in November (2 U.S.C. 7 for federal elections;
    state laws use the same day for their general elections)."""

    kind: Literal["general_election"]

    def in_year(self, year: int) -> date:
        first = date(year, 11, 1)
        first_monday = first + timedelta(days=(0 - first.weekday()) % 7)
        return first_monday + timedelta(days=1)


Rule = Annotated[Fixed | NthWeekday | Easter | GeneralElection, Field(discriminator="kind")]


class Observed(_Model):
    """Where a holiday that falls on a weekend is observed, and the rule that says so."""

    saturday: SaturdayRule
    sunday: SundayRule
    citation: str


class Holiday(_Model):
    name: str
    rule: Rule
    citation: str
    first_year: int | None = None
    """The first year the statute names the day (e.g. Juneteenth, 2021 for 5 U.S.C. 6103)."""
    last_year: int | None = None
    every_years: int | None = Field(default=None, ge=2)
    """Only in years ``first_year + k * every_years`` (e.g. even years, inauguration years)."""
    observed: Observed | None = None
    """This holiday's own weekend rule, when it differs from the calendar's."""
    note: str = ""

    @model_validator(mode="after")
    def _cycle_has_a_start(self) -> Holiday:
        if self.every_years is not None and self.first_year is None:
            raise ValueError(f"{self.name}: every_years needs first_year")
        return self

    def occurs_in(self, year: int) -> bool:
        if self.first_year is not None and year < self.first_year:
            return False
        if self.last_year is not None and year > self.last_year:
            return False
        if self.every_years is not None and self.first_year is not None:
            return (year - self.first_year) % self.every_years == 0
        return True


class Statute(_Model):
    cite: str
    url: str
    text_checked: date | None
    """When the text was last checked against the public source; ``None`` = written from the
    author's knowledge of the statute and not yet checked (docs/holiday-calendars.md lists them)."""


class HolidayCalendar(_Model):
    """One calendar: its statute, its weekend rule and its holidays."""

    code: str = Field(pattern=r"^US-[A-Z]{2,3}$")
    title: str
    statutes: list[Statute] = Field(min_length=1)
    observed: Observed
    holidays: list[Holiday] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)

    def holidays_in_year(self, year: int) -> Mapping[date, str]:
        """Every holiday and observed day that falls in ``year`` (an observed day can fall in the
        year before its holiday: New Year's Day on a Saturday is observed on 31 December)."""
        found: dict[date, list[str]] = {}
        for holiday_year in (year - 1, year, year + 1):
            for holiday in self.holidays:
                if not holiday.occurs_in(holiday_year):
                    continue
                day = holiday.rule.in_year(holiday_year)
                if day.year == year:
                    found.setdefault(day, []).append(holiday.name)
                shifted = _observed_day(day, holiday.observed or self.observed)
                if shifted is not None and shifted.year == year:
                    found.setdefault(shifted, []).append(f"{holiday.name} (observed)")
        return MappingProxyType({day: "; ".join(found[day]) for day in sorted(found)})


def _observed_day(day: date, rule: Observed) -> date | None:
    if day.weekday() == 5 and rule.saturday == "friday_before":
        return day - timedelta(days=1)
    if day.weekday() == 6 and rule.sunday == "monday_after":
        return day + timedelta(days=1)
    return None


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=1)
def load_calendars() -> Mapping[str, HolidayCalendar]:
    """Every calendar shipped in this package, by code (``US-FED`` first, then alphabetical)."""
    folder = resources.files(__package__)
    calendars: dict[str, HolidayCalendar] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        calendar = HolidayCalendar.model_validate(yaml.safe_load(entry.read_text("utf-8")))
        if entry.name != f"{calendar.code.lower()}.yaml":
            raise ValueError(f"{entry.name} holds calendar {calendar.code}: name files by code")
        calendars[calendar.code] = calendar
    ordered = sorted(calendars, key=lambda code: (code != "US-FED", code))
    return MappingProxyType({code: calendars[code] for code in ordered})
