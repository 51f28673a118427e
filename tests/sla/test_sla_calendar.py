"""Business calendars: validation, holidays (observed days included), closures."""

from datetime import date, time

import pytest

from sla.calendar import BusinessCalendar


def test_default_calendar_is_weekdays_nine_to_five_with_federal_holidays() -> None:
    cal = BusinessCalendar.default()
    assert cal.timezone == "America/New_York"
    assert cal.hours == dict.fromkeys(range(5), (time(9), time(17)))
    assert cal.holiday_calendars == ("US-FED",)
    assert cal.is_business_day(date(2026, 6, 18))
    assert not cal.is_business_day(date(2026, 6, 20))  # Saturday


def test_default_accepts_another_time_zone() -> None:
    assert BusinessCalendar.default("America/Los_Angeles").timezone == "America/Los_Angeles"


def test_federal_holiday_is_not_a_business_day() -> None:
    assert not BusinessCalendar.default().is_business_day(date(2026, 6, 19))  # Juneteenth


def test_observed_holiday_is_not_a_business_day() -> None:
    # Independence Day 2026 is a Saturday, observed Friday 3 July.
    assert not BusinessCalendar.default().is_business_day(date(2026, 7, 3))


def test_sunday_holiday_is_observed_on_monday() -> None:
    # Christmas 2022 was a Sunday, observed Monday 26 December.
    assert not BusinessCalendar.default().is_business_day(date(2022, 12, 26))


def test_state_calendar_adds_state_holidays() -> None:
    patriots_day = date(2026, 4, 20)
    assert BusinessCalendar.default().is_business_day(patriots_day)
    massachusetts = BusinessCalendar(holiday_calendars=("US-FED", "US-MA"))
    assert not massachusetts.is_business_day(patriots_day)


def test_firm_closure_is_not_a_business_day() -> None:
    cal = BusinessCalendar(closures=frozenset({date(2026, 12, 24)}))
    assert not cal.is_business_day(date(2026, 12, 24))
    assert cal.holiday_name(date(2026, 12, 24)) == "Firm closure"


def test_saturday_hours_make_saturday_a_business_day() -> None:
    cal = BusinessCalendar(hours={5: (time(10), time(14))})
    assert cal.is_business_day(date(2026, 6, 20))
    assert not cal.is_business_day(date(2026, 6, 18))


def test_holidays_between_lists_holidays_and_closures_in_order() -> None:
    cal = BusinessCalendar(closures=frozenset({date(2026, 7, 2)}))
    found = cal.holidays_between(date(2026, 6, 1), date(2026, 7, 31))
    assert list(found) == [date(2026, 6, 19), date(2026, 7, 2), date(2026, 7, 3), date(2026, 7, 4)]
    assert found[date(2026, 7, 2)] == "Firm closure"
    assert "Juneteenth" in found[date(2026, 6, 19)]


def test_holidays_between_spans_years() -> None:
    found = BusinessCalendar.default().holidays_between(date(2026, 12, 20), date(2027, 1, 5))
    assert list(found) == [date(2026, 12, 25), date(2027, 1, 1)]


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        BusinessCalendar(timezone="Mars/Olympus")


@pytest.mark.parametrize("code", ["US-XX", "FED", "CA-ON", "US"])
def test_unknown_holiday_calendar_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="unknown holiday calendar"):
        BusinessCalendar(holiday_calendars=("US-FED", code))


def test_hours_that_close_before_they_open_are_refused() -> None:
    with pytest.raises(ValueError, match="must close after they open"):
        BusinessCalendar(hours={0: (time(17), time(9))})


def test_weekday_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="weekday 7"):
        BusinessCalendar(hours={7: (time(9), time(17))})


def test_calendar_without_working_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        BusinessCalendar(hours={})
