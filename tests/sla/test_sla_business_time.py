"""Business-time arithmetic: examples across weekends, holidays and DST, plus properties."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import add_business_time, add_wall_time, business_time_between
from sla.calendar import BusinessCalendar

NY = ZoneInfo("America/New_York")
CAL = BusinessCalendar.default()


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A New York wall-clock instant."""
    return datetime(year, month, day, hour, minute, tzinfo=NY)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# (name, start, duration, expected) with the default Mon-Fri 9-17 America/New_York + US-FED.
ADDITIONS = [
    ("within_one_day", ny(2026, 6, 16, 9), hours(3), ny(2026, 6, 16, 12)),
    ("ends_exactly_at_closing_time", ny(2026, 6, 16, 9), hours(8), ny(2026, 6, 16, 17)),
    ("friday_afternoon_across_weekend", ny(2026, 6, 12, 15), hours(4), ny(2026, 6, 15, 11)),
    ("across_juneteenth_and_weekend", ny(2026, 6, 18, 16), hours(2), ny(2026, 6, 22, 10)),
    ("start_before_opening_counts_from_opening", ny(2026, 6, 16, 6), hours(1), ny(2026, 6, 16, 10)),
    ("start_after_closing_counts_from_next_opening", ny(2026, 6, 16, 20), hours(1),
     ny(2026, 6, 17, 10)),
    ("zero_from_outside_hours_is_next_opening", ny(2026, 6, 13, 12), timedelta(0),
     ny(2026, 6, 15, 9)),
    ("zero_from_inside_hours_is_start", ny(2026, 6, 16, 11, 30), timedelta(0),
     ny(2026, 6, 16, 11, 30)),
    # Spring forward: Sun 8 Mar 2026. Fri 16:00 + 2h = Mon 10:00 EDT, not 11:00 or 09:00.
    ("across_spring_forward", ny(2026, 3, 6, 16), hours(2), ny(2026, 3, 9, 10)),
    # Fall back: Sun 1 Nov 2026.
    ("across_fall_back", ny(2026, 10, 30, 16), hours(2), ny(2026, 11, 2, 10)),
    # Thanksgiving Thu 26 Nov 2026 closes; Friday 27 is a business day federally.
    ("across_thanksgiving", ny(2026, 11, 25, 16), hours(2), ny(2026, 11, 27, 10)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [pytest.param(*case[1:], id=str(case[0])) for case in ADDITIONS],
)
def test_add_business_time_examples(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    result = add_business_time(CAL, start, duration)
    assert result == expected
    assert result.utcoffset() == expected.utcoffset()  # same local wall clock, right offset
    assert result.tzinfo == NY


def test_start_in_another_zone_is_returned_in_the_calendar_zone() -> None:
    start = datetime(2026, 6, 16, 13, tzinfo=UTC)  # 09:00 EDT
    result = add_business_time(CAL, start, hours(1))
    assert result == ny(2026, 6, 16, 10)
    assert result.tzinfo == NY


def test_a_business_week_spans_a_holiday_week_to_the_following_monday() -> None:
    # 40 business hours from Mon 29 Jun 2026 09:00: Fri 3 Jul is the observed Independence Day.
    assert add_business_time(CAL, ny(2026, 6, 29, 9), hours(40)) == ny(2026, 7, 6, 17)


def test_two_thousand_business_hours_skip_whole_days() -> None:
    # 2,000 hours = 250 working days; 2026 has 261 weekdays and 11 federal holidays on weekdays.
    result = add_business_time(CAL, ny(2026, 1, 2, 9), hours(2000))
    assert result == ny(2026, 12, 31, 17)
    assert business_time_between(CAL, ny(2026, 1, 2, 9), result) == hours(2000)


def test_business_time_between_across_a_weekend() -> None:
    assert business_time_between(CAL, ny(2026, 6, 12, 15), ny(2026, 6, 15, 11)) == hours(4)


def test_business_time_between_is_zero_when_end_is_not_after_start() -> None:
    assert business_time_between(CAL, ny(2026, 6, 16, 12), ny(2026, 6, 16, 10)) == timedelta(0)
    assert business_time_between(CAL, ny(2026, 6, 16, 12), ny(2026, 6, 16, 12)) == timedelta(0)


def test_business_time_between_counts_nothing_on_a_holiday() -> None:
    assert business_time_between(CAL, ny(2026, 6, 19, 8), ny(2026, 6, 19, 18)) == timedelta(0)


def test_hours_spanning_spring_forward_hold_real_elapsed_time() -> None:
    # Sunday hours 00:00-06:00 on 8 Mar 2026: clocks skip 02:00-03:00, so 5 real hours.
    cal = BusinessCalendar(hours={6: (time(0), time(6))})
    sunday = date(2026, 3, 8)
    start, end = datetime.combine(sunday, time(0), NY), datetime.combine(sunday, time(6), NY)
    assert business_time_between(cal, start, end) == hours(5)
    assert add_business_time(cal, start, hours(5)) == end


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(CAL, datetime(2026, 6, 16, 9), hours(1))


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(CAL, ny(2026, 6, 16, 9), hours(-1))


def test_add_wall_time_counts_real_hours_across_spring_forward() -> None:
    # 24 real hours after Sat 7 Mar 12:00 EST is Sun 8 Mar 13:00 EDT.
    assert add_wall_time(ny(2026, 3, 7, 12), hours(24)) == ny(2026, 3, 8, 13)
    assert add_wall_time(ny(2026, 3, 7, 12), hours(24)).hour == 13


# --- properties -------------------------------------------------------------------------------
# Windows around both 2026 DST changes, with Presidents' Day, Veterans Day, Thanksgiving and
# Christmas inside them.
WINDOWS = st.sampled_from(
    [
        (datetime(2026, 2, 10), datetime(2026, 3, 20)),
        (datetime(2026, 10, 20), datetime(2026, 12, 31)),
    ]
)


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    low, high = draw(WINDOWS)
    return draw(
        st.datetimes(min_value=low, max_value=high, timezones=st.just(NY), allow_imaginary=False)
    )


@st.composite
def business_starts(draw: st.DrawFn) -> datetime:
    """A start strictly inside working hours."""
    day: date = draw(starts()).date()
    while not CAL.is_business_day(day):
        day += timedelta(days=1)
    minute = draw(st.integers(min_value=0, max_value=8 * 60 - 1))
    return datetime.combine(day, time(9), NY) + timedelta(minutes=minute)


durations = st.timedeltas(min_value=timedelta(0), max_value=hours(300))
positive_durations = st.timedeltas(min_value=timedelta(seconds=1), max_value=hours(150))


def _within_business_hours(cal: BusinessCalendar, instant: datetime) -> bool:
    local = instant.astimezone(cal.zone)
    if not cal.is_business_day(local.date()):
        return False
    opens, closes = cal.hours[local.weekday()]
    return opens <= local.time() <= closes


@settings(max_examples=300, deadline=None)
@given(start=starts(), duration=durations)
def test_result_never_lands_outside_business_hours(start: datetime, duration: timedelta) -> None:
    result = add_business_time(CAL, start, duration)
    assert _within_business_hours(CAL, result)
    assert result >= start


@settings(max_examples=300, deadline=None)
@given(start=starts(), first=positive_durations, second=positive_durations)
def test_adding_in_two_steps_equals_adding_the_sum(
    start: datetime, first: timedelta, second: timedelta
) -> None:
    in_two_steps = add_business_time(CAL, add_business_time(CAL, start, first), second)
    assert in_two_steps == add_business_time(CAL, start, first + second)


@settings(max_examples=300, deadline=None)
@given(start=business_starts(), duration=durations)
def test_business_time_between_inverts_add_from_inside_hours(
    start: datetime, duration: timedelta
) -> None:
    assert business_time_between(CAL, start, add_business_time(CAL, start, duration)) == duration


@settings(max_examples=200, deadline=None)
@given(start=starts(), end=starts())
def test_business_time_between_never_exceeds_wall_time(start: datetime, end: datetime) -> None:
    elapsed = business_time_between(CAL, start, end)
    assert timedelta(0) <= elapsed <= max(end - start, timedelta(0))
