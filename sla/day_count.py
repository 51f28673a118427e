"""Deadlines counted in calendar days from a captured date (a receipt, a notice, a return date).

45 CFR 164.524(b)(2)(i) gives a covered entity "no later than 30 days after receipt of the
request" to act on a right-of-access request, and (b)(2)(ii) one extension of "no more than 30
additional days" (https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/
subpart-E/section-164.524). "N days after receipt" counts the day after receipt as day 1 (the day
of receipt is not counted, as in FRCP 6(a)(1)(A)), every calendar day counts (the rule names no
business days and no weekend roll-over), and the last day ends at its midnight in the zone the
deadline is kept in.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_n_after(captured: date, days: int) -> date:
    """Day `days` after `captured`, where the day after `captured` is day 1 (0: that same day)."""
    return captured + timedelta(days=days)


def end_of_day(day: date, zone: str) -> datetime:
    """The last instant of `day` in `zone` (a deadline given as a date ends at its midnight)."""
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(zone))


def deadline_after(captured: date, days: int, zone: str) -> datetime:
    """The end of calendar day `days` after `captured` in `zone`."""
    return end_of_day(day_n_after(captured, days), zone)


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date of `instant` in `zone` (what "today" means for a firm there)."""
    return instant.astimezone(ZoneInfo(zone)).date()
