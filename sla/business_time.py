"""Business-time arithmetic: add working time to an instant, measure working time between two.

Working hours are local wall-clock hours (09:00-17:00 is 09:00-17:00 on the day clocks change, not
shifted by an hour), and every day's opening hours become an interval of real instants. Time is
counted along those intervals in UTC, so adding and measuring are exact inverses and never depend
on the offset in force. The result equals the wall-clock hours worked unless the opening hours
themselves contain a DST change (a 00:00-06:00 shift on spring-forward day holds 5 real hours).

The loop walks whole days, not minutes, so thousands of business hours cost a few hundred steps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sla.calendar import BusinessCalendar

# A calendar open for less than one day in 50 years is a configuration error, not a long wait.
_MAX_DAYS_SCANNED = 366 * 50
_ONE_DAY = timedelta(days=1)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _local_date(cal: BusinessCalendar, instant: datetime) -> date:
    return instant.astimezone(cal.zone).date()


def add_business_time(cal: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` of working time after ``start``, in the calendar's zone.

    Counting starts at ``start`` if it is within working hours, else at the next opening; so a
    zero duration from outside hours returns the next opening. A duration that ends exactly at
    closing time returns the closing time.
    """
    _require_aware("start", start)
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    cursor = start.astimezone(UTC)
    remaining = duration
    day = _local_date(cal, start)
    for _ in range(_MAX_DAYS_SCANNED):
        hours = cal.opening_hours(day)
        day += _ONE_DAY
        if hours is None:
            continue
        opening, closing = hours
        if closing <= cursor:
            continue
        begin = max(opening, cursor)
        available = closing - begin
        if remaining <= available:
            return (begin + remaining).astimezone(cal.zone)
        remaining -= available
        cursor = closing
    raise ValueError(f"calendar has no working hours within {_MAX_DAYS_SCANNED} days of {start}")


def business_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time elapsed from ``start`` to ``end``; zero if ``end`` is not after ``start``."""
    _require_aware("start", start)
    _require_aware("end", end)
    begin, finish = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    if finish <= begin:
        return total
    day, last_day = _local_date(cal, begin), _local_date(cal, finish)
    while day <= last_day:
        hours = cal.opening_hours(day)
        day += _ONE_DAY
        if hours is None:
            continue
        overlap = min(hours[1], finish) - max(hours[0], begin)
        if overlap > timedelta(0):
            total += overlap
    return total


def add_wall_time(start: datetime, duration: timedelta) -> datetime:
    """``start`` plus ``duration`` of real elapsed time (a 24x7 clock), in ``start``'s zone.

    Done in UTC because aware ``datetime + timedelta`` in Python adds wall-clock time and would be
    an hour off across a DST change.
    """
    _require_aware("start", start)
    return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
