"""Calendar-day deadlines from a captured date: the 45 CFR 164.524(b)(2) access clock.

45 CFR 164.524(b)(2)(i): act "no later than 30 days after receipt of the request"; (b)(2)(ii): one
extension of "no more than 30" further days
(https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.524).
Day 1 is the day after receipt; every calendar day counts; the last day ends at midnight in the
firm's zone. Each row is counted by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sla.day_count import day_n_after, deadline_after

NY = "America/New_York"
LAST = (59, 59, 999999)  # minute, second, microsecond

DAYS = [
    # (captured, days, expected day, why)
    (date(2026, 1, 31), 30, date(2026, 3, 2), "164.524(b)(2)(i): Feb 2026 has 28 days"),
    (date(2028, 1, 31), 30, date(2028, 3, 1), "164.524(b)(2)(i): Feb 2028 has 29 days"),
    (date(2026, 1, 31), 60, date(2026, 4, 1), "164.524(b)(2)(ii): the extension's last day"),
    (date(2026, 12, 15), 30, date(2027, 1, 14), "164.524(b)(2)(i): across the year end"),
    (date(2026, 1, 2), 30, date(2026, 2, 1), "164.524(b)(2)(i): a Sunday stays the last day"),
    (date(2026, 3, 1), 1, date(2026, 3, 2), "day 1 is the day after receipt"),
    (date(2026, 6, 30), 0, date(2026, 6, 30), "a return date is its own last day"),
]


@pytest.mark.parametrize(("captured", "days", "expected", "why"), DAYS)
def test_day_n_is_counted_from_the_day_after_the_captured_date(
    captured: date, days: int, expected: date, why: str
) -> None:
    assert day_n_after(captured, days) == expected, why


ENDS = [
    # (captured, days, zone, end of the last day in UTC, why)
    (date(2026, 1, 1), 30, NY, datetime(2026, 2, 1, 4, *LAST, tzinfo=UTC), "Jan 31, EST"),
    (date(2026, 2, 10), 30, NY, datetime(2026, 3, 13, 3, *LAST, tzinfo=UTC), "Mar 12, EDT"),
    (
        date(2026, 1, 31),
        30,
        "America/Los_Angeles",
        datetime(2026, 3, 3, 7, *LAST, tzinfo=UTC),
        "Mar 2 in the firm's own zone",
    ),
    (date(2026, 6, 30), 0, NY, datetime(2026, 7, 1, 3, *LAST, tzinfo=UTC), "Jun 30, EDT"),
]


@pytest.mark.parametrize(("captured", "days", "zone", "expected", "why"), ENDS)
def test_the_deadline_ends_at_midnight_of_the_last_day_in_the_zone(
    captured: date, days: int, zone: str, expected: datetime, why: str
) -> None:
    assert deadline_after(captured, days, zone) == expected, why
