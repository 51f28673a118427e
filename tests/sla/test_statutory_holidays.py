"""The statutory holiday calendars, row by row against the statute that decides each day.

Each row: calendar, day, the holiday's name there (None: a working day, not a holiday), and the
rule. Weekend days are named only when the statute itself names them (NY Flag Day).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.messages import CalendarSpec
from sla import BusinessCalendar, add_business_time
from sla.calendar import UnresolvedHolidayError
from sla.from_template import calendar_for, resolve_calendar
from sla.holiday_calendars import easter_sunday, load_calendars
from sla.holiday_sources import holiday_name, holidays_in_year, validate_calendar_code

ROWS: list[tuple[str, date, str | None, str]] = [
    # New York, N.Y. Gen. Constr. Law § 24
    ("US-NY", date(2027, 2, 12), "Lincoln's Birthday", "§ 24: the twelfth day of February"),
    ("US-NY", date(2027, 2, 15), "Washington's Birthday", "§ 24; no Susan B. Anthony Day"),
    ("US-NY", date(2028, 2, 15), None, "Susan B. Anthony Day is not in § 24"),
    ("US-NY", date(2027, 11, 2), "Election Day", "§ 24: each general election day"),
    ("US-NY", date(2027, 6, 13), "Flag Day", "§ 24: the second Sunday in June"),
    ("US-NY", date(2027, 6, 14), None, "§ 24: a Sunday holiday moves, except Flag day"),
    ("US-NY", date(2022, 12, 26), "Christmas Day (observed)", "§ 24: Sunday -> the next day"),
    ("US-NY", date(2021, 12, 24), None, "§ 24 moves no Saturday holiday"),
    # California judicial holidays, Cal. Code Civ. Proc. § 135 over Cal. Gov. Code § 6700
    ("US-CA", date(2027, 2, 12), "Lincoln Day", "Gov. Code § 6700(a)(4)"),
    ("US-CA", date(2027, 3, 31), "César Chávez Day", "Gov. Code § 6700(a)(6)"),
    ("US-CA", date(2027, 9, 24), "Native American Day", "§ 6700: fourth Friday in September"),
    ("US-CA", date(2021, 9, 24), None, "CCP § 135 excluded Native American Day until 2022"),
    ("US-CA", date(2027, 9, 9), None, "CCP § 135: Admission Day is not a judicial holiday"),
    ("US-CA", date(2027, 10, 11), None, "CCP § 135: Columbus Day is not a judicial holiday"),
    ("US-CA", date(2027, 2, 15), "Washington Day", "§ 6700; no Susan B. Anthony Day"),
    ("US-CA", date(2027, 11, 26), "Day after Thanksgiving", "CCP § 135"),
    ("US-CA", date(2023, 11, 10), "Veterans Day (observed)", "Gov. Code § 6701: Sat Nov 11"),
    ("US-CA", date(2023, 2, 13), "Lincoln Day (observed)", "Gov. Code § 6701: Sun Feb 12"),
    # Texas, Tex. Gov't Code § 662.003
    ("US-TX", date(2027, 3, 2), "Texas Independence Day", "§ 662.003(b)(2)"),
    ("US-TX", date(2027, 12, 24), "Christmas Eve", "§ 662.003(b)(7)"),
    ("US-TX", date(2027, 12, 23), None, "chapter 662 moves no weekend holiday"),
    ("US-TX", date(2027, 3, 26), None, "§ 662.003(c): Good Friday is optional"),
    # Massachusetts, M.G.L. c. 4, § 7, cl. 18
    ("US-MA", date(2027, 4, 19), "Patriots' Day", "third Monday in April"),
    ("US-MA", date(2027, 12, 24), None, "cl. 18 moves no Saturday holiday"),
    # Illinois
    ("US-IL", date(2027, 3, 1), "Casimir Pulaski's Birthday", "5 ILCS 490/15"),
    ("US-IL", date(2028, 11, 7), "General Election Day", "10 ILCS 5/17-25 (even years)"),
    ("US-IL", date(2027, 11, 2), None, "no House election in odd years"),
    ("US-IL", date(2033, 6, 20), None, "5 ILCS 490/63: a Sunday Juneteenth moves to no Monday"),
    ("US-IL", date(2027, 6, 18), None, "5 ILCS 490/63: a Saturday Juneteenth moves to no Friday"),
    # Florida, Fla. Stat. § 110.117
    ("US-FL", date(2027, 11, 26), "Friday after Thanksgiving", "§ 110.117(1)(h)"),
    ("US-FL", date(2027, 2, 15), None, "§ 110.117 has no Susan B. Anthony Day"),
    # District of Columbia, D.C. Code § 1-612.02
    ("US-DC", date(2027, 4, 16), "District of Columbia Emancipation Day", "§ 1-612.02(a)"),
    (
        "US-DC",
        date(2025, 1, 20),
        "Dr. Martin Luther King, Jr.'s Birthday; Inauguration Day",
        "§ 1-612.02(c): Inauguration Day every fourth year",
    ),
    ("US-DC", date(2029, 1, 19), None, "§ 1-612.02(c): a Saturday inauguration stays"),
    # Hawaii, Haw. Rev. Stat. § 8-1
    ("US-HI", date(2027, 6, 11), "King Kamehameha I Day", "§ 8-1"),
    ("US-HI", date(2027, 8, 20), "Statehood Day", "§ 8-1: third Friday in August"),
    ("US-HI", date(2028, 4, 14), "Good Friday", "§ 8-1"),
    # New Jersey, N.J.S.A. 11A:6-24.1, 36:1-1, 36:1-1.2
    ("US-NJ", date(2027, 6, 18), "Juneteenth Day", "11A:6-24.1(a)(6): third Friday in June"),
    ("US-NJ", date(2027, 11, 2), "General Election Day", "11A:6-24.1(a)"),
    ("US-NJ", date(2027, 2, 12), None, "36:1-1(d): Lincoln's Birthday, offices open"),
    ("US-NJ", date(2027, 12, 24), "Christmas Day (observed)", "36:1-1.2: Saturday -> Friday"),
    # Pennsylvania, 44 P.S. § 11
    ("US-PA", date(2027, 6, 14), "Flag Day", "44 P.S. § 11"),
    ("US-PA", date(2027, 11, 2), "Election Day", "44 P.S. § 11"),
    # Federal, 5 U.S.C. 6103
    ("US-FED", date(2021, 12, 31), "New Year's Day (observed)", "6103(b): Sat 1 Jan 2022"),
    ("US-FED", date(2027, 6, 18), "Juneteenth National Independence Day (observed)", "6103(b)"),
    ("US-FED", date(2020, 6, 19), None, "Juneteenth: Pub. L. 117-17, from 2021"),
]


@pytest.mark.parametrize(
    ("code", "day", "name", "rule"), ROWS, ids=[f"{r[0]}-{r[1]}" for r in ROWS]
)
def test_each_day_is_what_its_statute_says(
    code: str, day: date, name: str | None, rule: str
) -> None:
    assert holiday_name(code, day) == name, rule


def test_new_york_2027_has_no_susan_b_anthony_day() -> None:
    """N.Y. Gen. Constr. Law § 24 does not name it (it is a commemoration only)."""
    names = " ".join(holidays_in_year("US-NY", 2027).values())
    assert "Anthony" not in names
    assert "Lincoln's Birthday" in names and "Election Day" in names


def test_every_holiday_and_statute_is_cited() -> None:
    for code, calendar in load_calendars().items():
        assert calendar.observed.citation, code
        for statute in calendar.statutes:
            assert statute.url.startswith("https://") or statute.url.startswith("http://"), code
        for holiday in calendar.holidays:
            assert holiday.citation, (code, holiday.name)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter_is_the_gregorian_computus(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_a_calendar_without_a_data_file_is_refused_naming_the_supported_ones() -> None:
    with pytest.raises(ValueError, match="supported calendars are US-FED, US-CA, US-DC"):
        validate_calendar_code("US-WA")
    with pytest.raises(ValueError, match="supported calendars are"):
        BusinessCalendar(holiday_calendars=("US-FED", "US-PR"))


def test_a_firm_calendar_us_ca_counts_lincoln_day_in_business_time() -> None:
    """Cal. Gov. Code § 6700(a)(4) closes Friday 12 Feb 2027 and (a)(5) Monday 15 Feb, so 8
    business hours from Thursday's close end on Tuesday's (federal holidays alone: Friday's)."""
    la = ZoneInfo("America/Los_Angeles")
    cal = BusinessCalendar(timezone="America/Los_Angeles", holiday_calendars=("US-FED", "US-CA"))
    due = add_business_time(cal, datetime(2027, 2, 11, 17, 0, tzinfo=la), timedelta(hours=8))
    assert due == datetime(2027, 2, 16, 17, 0, tzinfo=la)


def test_resolved_dates_replace_the_rules_and_refuse_a_day_beyond_their_years() -> None:
    spec = resolve_calendar(CalendarSpec(holidays=["US-FED", "US-NY"]), 2027)
    assert spec.resolved_years == [2026, 2030]
    assert spec.resolved_holidays is not None
    assert spec.resolved_holidays[date(2027, 2, 12)] == "Lincoln's Birthday"
    calendar = calendar_for(spec)
    assert not calendar.is_business_day(date(2027, 11, 2))  # Election Day, § 24
    assert calendar.is_business_day(date(2027, 11, 3))
    with pytest.raises(UnresolvedHolidayError, match="resolved for 2026-2030"):
        calendar.is_business_day(date(2031, 1, 2))
    # A weekend needs no holiday lookup, so it is simply closed.
    assert not calendar.is_business_day(date(2031, 1, 4))


def test_an_old_input_naming_a_calendar_without_a_file_keeps_the_supported_ones() -> None:
    """Engagements started before statutory calendars may carry e.g. US-WA: only fewer holidays
    (earlier due times), never a workflow that cannot start."""
    calendar = calendar_for(CalendarSpec(holidays=["US-FED", "US-WA"]))
    assert calendar.holiday_calendars == ("US-FED",)
    assert calendar.hours[0] == (time(9), time(17))
