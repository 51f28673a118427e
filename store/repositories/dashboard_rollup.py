"""Reads of `dashboard_rollups`: completed work per UTC day, for the all-firms dashboards.

The table is written only by the triggers of migration 0006_dashboard_rollups (every writer of
`tasks` is covered, in its own transaction). A row holds, for one UTC day x firm x template x
step x queue x clerk, how many tasks completed, how many met their due time, and a histogram of
their cycle times (`completed_at - created_at`) in log-spaced buckets. Counts read from it are
exact; percentiles are interpolated inside a bucket, so they are within the bucket's width
(25% of its lower bound, i.e. about 12% either side) of the exact `percentile_cont`.

It covers whole UTC days only: the dashboards read the period's partial first and last days
live from `tasks` and merge them in (`Tally.add`), so the period's bounds stay exact.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Select,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import DashboardRollup, User

BUCKETS = 64  # the migration's BUCKETS: 1 is under a minute, then x1.25 per bucket
RATIO = 1.25
FIRST_BOUND = 60.0
NOBODY = uuid.UUID(int=0)  # completed_by in the rollup when no one is recorded
UNASSIGNED = "(unassigned)"


def bucket_of(seconds: ColumnElement[Any]) -> ColumnElement[int]:
    """The SQL bucket of a cycle time in seconds (the migration's function, so the live edges
    and the trigger bucket alike)."""
    result: ColumnElement[int] = func.dashboard_cycle_bucket(cast(seconds, Float))
    return result


def _bounds(bucket: int) -> tuple[float, float]:
    if bucket <= 1:
        return 0.0, FIRST_BOUND
    lower = FIRST_BOUND * RATIO ** (bucket - 2)
    return lower, lower * RATIO


@dataclass
class Tally:
    """Completed tasks, met ones, and their cycle-time histogram; merged from rollup rows and
    the live edges of the period."""

    completed: int = 0
    met: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * BUCKETS)

    def add(self, completed: int, met: int, hist: list[int]) -> None:
        self.completed += completed
        self.met += met
        self.hist = [a + b for a, b in zip(self.hist, hist, strict=True)]

    def add_bucket(self, bucket: int, completed: int, met: int) -> None:
        self.completed += completed
        self.met += met
        self.hist[bucket - 1] += completed

    def percentile(self, q: float) -> float | None:
        """Like `percentile_cont(q)`, with each bucket's tasks spread evenly across it."""
        n = sum(self.hist)
        if n == 0:
            return None
        rank = q * (n - 1)  # 0-based, as percentile_cont
        seen = 0
        for index, count in enumerate(self.hist):
            if count and rank < seen + count:
                lower, upper = _bounds(index + 1)
                return lower + (upper - lower) * (rank - seen + 0.5) / count
            seen += count
        return _bounds(BUCKETS)[1]


def whole_days(start: datetime, end: datetime) -> tuple[date, date] | None:
    """The UTC days wholly inside [start, end), as [first, stop); None if there are none."""
    first = start.astimezone(UTC).date()
    if datetime.combine(first, time(), tzinfo=UTC) < start:
        first += timedelta(days=1)
    stop = end.astimezone(UTC).date()
    return (first, stop) if first < stop else None


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _key(group_by: str) -> tuple[Any, bool]:
    """The rollup column a dashboard groups by, and whether it needs the users join."""
    if group_by == "clerk":
        unassigned: ColumnElement[str] = literal_column(f"'{UNASSIGNED}'")
        return func.coalesce(User.username, unassigned), True
    column = {
        "template": DashboardRollup.template_key,
        "step": DashboardRollup.step_id,
        "queue": DashboardRollup.queue,
    }[group_by]
    return column, False


@cache
def _tallies_query(group_by: str) -> Select[Any]:
    """Built once per grouping (66 aggregates: building and cache-keying the statement on every
    call cost as much as running it); the days are bound parameters."""
    key, needs_users = _key(group_by)
    query = select(
        key.label("key"),
        func.sum(DashboardRollup.completed).label("completed"),
        func.sum(DashboardRollup.met).label("met"),
        *[func.sum(DashboardRollup.cycle_hist[i]) for i in range(1, BUCKETS + 1)],
    ).select_from(DashboardRollup)
    if needs_users:
        query = query.join(User, User.id == DashboardRollup.completed_by, isouter=True)
    return query.where(
        DashboardRollup.day >= bindparam("first", type_=Date()),
        DashboardRollup.day < bindparam("stop", type_=Date()),
    ).group_by(literal_column("key"))


async def tallies(
    session: AsyncSession, first: date, stop: date, group_by: str
) -> dict[str, Tally]:
    """Completed work of every firm on the UTC days [first, stop), per group."""
    query = _tallies_query(group_by)
    result: dict[str, Tally] = {}
    for row in await session.execute(query, {"first": first, "stop": stop}):
        tally = result.setdefault(row[0], Tally())
        tally.add(int(row[1]), int(row[2]), [int(v) for v in row[3:]])
    return result


async def daily(session: AsyncSession, first: date, stop: date) -> dict[str, tuple[int, int]]:
    """(completed, met) of every firm per UTC day in [first, stop), by ISO date."""
    query = (
        select(
            DashboardRollup.day,
            func.sum(DashboardRollup.completed).label("completed"),
            func.sum(DashboardRollup.met).label("met"),
        )
        .where(DashboardRollup.day >= first, DashboardRollup.day < stop)
        .group_by(DashboardRollup.day)
    )
    return {r.day.isoformat(): (int(r.completed), int(r.met)) for r in await session.execute(query)}
