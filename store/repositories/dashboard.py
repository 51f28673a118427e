"""Dashboard read queries: SLA attainment, queue health, daily trends and the attention list.

Definitions (the README and the API docs say the same):
- a task is *completed in a period* when `completed_at` falls in `[start, end)`;
- it is *met* when `completed_at <= due_at`; a completed task without a due time counts as met
  (it had no promise to break), so attainment = met / completed;
- *open* work is `status IN ('open', 'claimed')`; it is *breached* from `due_at` on and *at risk*
  from the warning instant (`warn_instant`) until then;
- cycle time is `completed_at - created_at`, in seconds.

Every query takes the firm filter the route resolved from the caller's scope. The status
predicates are SQL literals (not bound parameters) on purpose: PostgreSQL matches a partial
index only when it can prove the query's predicate implies the index's, which a generic plan
with `status = $1` cannot do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Date,
    Interval,
    Select,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Task, User
from store.repositories import dashboard_rollup

# The SLA engine will give each task its own warning instant; until then a task is at risk in the
# last quarter of its SLA span (created_at -> due_at). Change it here and every figure follows.
WARN_FRACTION = 0.25

# Any select: the dashboard queries are built in steps (a grouping key joins in later).
Query: TypeAlias = "Select[*tuple[Any, ...]]"

_COMPLETED: ColumnElement[str] = literal_column("'completed'")
_OPEN_STATUSES: ColumnElement[Any] = literal_column("('open', 'claimed')")
_IS_COMPLETED = Task.status == _COMPLETED
_IS_OPEN_WORK = Task.status.op("IN")(_OPEN_STATUSES)


class GroupBy(StrEnum):
    TEMPLATE = "template"
    STEP = "step"
    QUEUE = "queue"
    CLERK = "clerk"


def warn_instant() -> ColumnElement[datetime]:
    """The instant an open task turns at risk (the one rule for 'at risk')."""
    sla_span = (Task.due_at - Task.created_at).self_group()
    span = sla_span.op("*", return_type=Interval())(WARN_FRACTION)
    result: ColumnElement[datetime] = Task.due_at - span  # type: ignore[assignment]
    return result


def is_breached(now: datetime) -> ColumnElement[bool]:
    return and_(Task.due_at.is_not(None), Task.due_at <= now)


def is_at_risk(now: datetime) -> ColumnElement[bool]:
    return and_(Task.due_at.is_not(None), Task.due_at > now, warn_instant() <= now)


def _met() -> ColumnElement[bool]:
    return or_(Task.due_at.is_(None), Task.completed_at <= Task.due_at)


def _firm(firm_id: uuid.UUID | None) -> ColumnElement[bool]:
    return Task.firm_id == firm_id if firm_id is not None else true()


def _cycle_seconds() -> ColumnElement[float]:
    result: ColumnElement[float] = func.extract(  # type: ignore[assignment]
        "epoch", Task.completed_at - Task.created_at
    )
    return result


@dataclass
class SlaRow:
    key: str
    completed: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    at_risk: int = 0
    open_breached: int = 0
    cycle_p50_seconds: float | None = None
    cycle_p90_seconds: float | None = None

    @property
    def attainment_pct(self) -> float | None:
        return round(100.0 * self.met / self.completed, 1) if self.completed else None


def _task_template() -> ColumnElement[str]:
    # Never NULL (the trigger copies it from the engagement); '' as in the rollup, and a group
    # key must be non-NULL (NULL is the total row of the grouping sets).
    empty: ColumnElement[str] = literal_column("''")
    return func.coalesce(Task.template_key, empty)


def _grouped(query: Query, group_by: GroupBy, user_column: Any) -> Query:
    """Adds the grouping key (and the join it needs) to an aggregate over tasks."""
    if group_by == GroupBy.TEMPLATE:
        # The task's own copy of its template (migration 0008a_dashboard_speed), read from the
        # covering indexes (the firm ones since 0012_dashboard_queues): joining engagements
        # would read every engagement of the firm, or hash every engagement for all firms.
        return query.add_columns(_task_template().label("key"))
    if group_by == GroupBy.CLERK:
        unassigned: ColumnElement[str] = literal_column("'(unassigned)'")
        return query.add_columns(func.coalesce(User.username, unassigned).label("key")).join(
            User, User.id == user_column, isouter=True
        )
    column = Task.step_id if group_by == GroupBy.STEP else Task.queue
    return query.add_columns(column.label("key"))


# One scan gives each group and the total (percentiles over all rows, not averaged over groups):
# the total row has a NULL key, which no group has (every key expression is non-null).
_BY_KEY_AND_TOTAL = func.grouping_sets(literal_column("key"), text("()"))
TOTAL = "all"


def completed_stats_query(
    firm_id: uuid.UUID | None, start: datetime, end: datetime, group_by: GroupBy
) -> Query:
    cycle = _cycle_seconds()
    met = _met()
    query = select(
        func.count().label("completed"),
        func.count().filter(met).label("met"),
        func.percentile_cont(0.5).within_group(cycle).label("p50"),
        func.percentile_cont(0.9).within_group(cycle).label("p90"),
    ).select_from(Task)
    query = _grouped(query, group_by, Task.completed_by)
    return query.where(
        _IS_COMPLETED, _firm(firm_id), Task.completed_at >= start, Task.completed_at < end
    ).group_by(_BY_KEY_AND_TOTAL)


def open_stats_query(firm_id: uuid.UUID | None, now: datetime, group_by: GroupBy) -> Query:
    query = select(
        func.count().label("open"),
        func.count().filter(is_at_risk(now)).label("at_risk"),
        func.count().filter(is_breached(now)).label("breached"),
    ).select_from(Task)
    query = _grouped(query, group_by, Task.assignee_id)
    return query.where(_IS_OPEN_WORK, _firm(firm_id)).group_by(_BY_KEY_AND_TOTAL)


def _edges(
    start: datetime, end: datetime
) -> tuple[tuple[date, date] | None, list[tuple[datetime, datetime]]]:
    """The whole UTC days of [start, end) (read from the rollup) and the rest (read live): the
    partial first and last days, as separate ranges so each is one index range scan."""
    days = dashboard_rollup.whole_days(start, end)
    if days is None:
        return None, [(start, end)]
    first, stop = (dashboard_rollup.midnight(d) for d in days)
    return days, [(a, b) for a, b in ((start, first), (stop, end)) if a < b]


def live_completed_query(low: datetime, high: datetime, group_by: GroupBy) -> Query:
    """Completed work of every firm in [low, high) per group and cycle-time bucket, as the
    rollup keeps it: the period's partial edge days, read from `ix_tasks_dash_completed_tpl`."""
    query = select(
        func.count().label("completed"),
        func.count().filter(_met()).label("met"),
        dashboard_rollup.bucket_of(_cycle_seconds()).label("bucket"),
    ).select_from(Task)
    query = _grouped(query, group_by, Task.completed_by)
    return query.where(_IS_COMPLETED, Task.completed_at >= low, Task.completed_at < high).group_by(
        literal_column("key"), literal_column("bucket")
    )


async def _all_firms_completed(
    session: AsyncSession, start: datetime, end: datetime, group_by: GroupBy
) -> dict[str | None, dashboard_rollup.Tally]:
    """Completed work of every firm per group, and the total under the key None."""
    days, live = _edges(start, end)
    tallies: dict[str | None, dashboard_rollup.Tally] = {}
    if days is not None:
        tallies.update(await dashboard_rollup.tallies(session, *days, group_by.value))
    for low, high in live:
        for row in await session.execute(live_completed_query(low, high, group_by)):
            tally = tallies.setdefault(row.key, dashboard_rollup.Tally())
            tally.add_bucket(int(row.bucket), int(row.completed), int(row.met))
    total = dashboard_rollup.Tally()
    for tally in tallies.values():
        total.add(tally.completed, tally.met, tally.hist)
    tallies[None] = total
    return tallies


async def sla(
    session: AsyncSession,
    firm_id: uuid.UUID | None,
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    now: datetime,
) -> tuple[list[SlaRow], SlaRow]:
    """The figures per group, and for the whole period.

    For one firm, exact from `tasks`; for every firm, from the daily rollup plus the period's
    partial edge days read live (counts exact, percentiles from the histogram: see
    `dashboard_rollup`).
    """
    rows: dict[str | None, SlaRow] = {None: SlaRow(key=TOTAL)}
    if firm_id is None:
        for key, tally in (await _all_firms_completed(session, start, end, group_by)).items():
            entry = rows.setdefault(key, SlaRow(key=key or TOTAL))
            entry.completed, entry.met = tally.completed, tally.met
            entry.breached = entry.completed - entry.met
            entry.cycle_p50_seconds = tally.percentile(0.5)
            entry.cycle_p90_seconds = tally.percentile(0.9)
    else:
        for row in await session.execute(completed_stats_query(firm_id, start, end, group_by)):
            entry = rows.setdefault(row.key, SlaRow(key=row.key))
            entry.completed, entry.met = int(row.completed), int(row.met)
            entry.breached = entry.completed - entry.met
            entry.cycle_p50_seconds = float(row.p50) if row.p50 is not None else None
            entry.cycle_p90_seconds = float(row.p90) if row.p90 is not None else None
    for row in await session.execute(open_stats_query(firm_id, now, group_by)):
        entry = rows.setdefault(row.key, SlaRow(key=row.key))
        entry.open, entry.at_risk, entry.open_breached = (
            int(row.open),
            int(row.at_risk),
            int(row.breached),
        )
    total = rows.pop(None)
    return [rows[k] for k in sorted(k for k in rows if k is not None)], total


@dataclass(frozen=True)
class QueueRow:
    queue: str
    depth: int
    claimed: int
    oldest_created_at: datetime | None
    at_risk: int
    breached: int


# Backlog aging buckets for open work: (label, lower bound inclusive).
AGING_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("< 1 day", timedelta(0)),
    ("1-3 days", timedelta(days=1)),
    ("3-7 days", timedelta(days=3)),
    ("> 7 days", timedelta(days=7)),
)


@dataclass(frozen=True)
class OpenWork:
    """The queue board: open work per queue, and all of it by age (`AGING_BUCKETS`)."""

    queues: list[QueueRow]
    aging: dict[str, int]


def _aged(now: datetime, bound: timedelta) -> ColumnElement[bool]:
    # `now - created_at >= bound`, with the instant computed once here instead of an interval
    # per row (PostgreSQL compares intervals with a day as 24 h, so the two are the same).
    return Task.created_at <= now - bound


def open_work_query(firm_id: uuid.UUID | None, now: datetime) -> Query:
    """Open work per queue in one scan: the queue figures, and per queue how many tasks are at
    least as old as each aging bound (a task's bucket is the last bound it reached, so a
    bucket's count is the difference of two of these)."""
    is_open = Task.status == literal_column("'open'")
    aged = [
        func.count().filter(_aged(now, bound)).label(f"aged_{i}")
        for i, (_, bound) in enumerate(AGING_BUCKETS)
        if i > 0
    ]
    return (
        select(
            Task.queue,
            func.count().label("total"),
            func.count().filter(is_open).label("depth"),
            func.count().filter(Task.status == literal_column("'claimed'")).label("claimed"),
            func.min(Task.created_at).filter(is_open).label("oldest"),
            func.count().filter(is_at_risk(now)).label("at_risk"),
            func.count().filter(is_breached(now)).label("breached"),
            *aged,
        )
        .where(_IS_OPEN_WORK, _firm(firm_id))
        .group_by(Task.queue)
        .order_by(Task.queue)
    )


async def open_work(session: AsyncSession, firm_id: uuid.UUID | None, now: datetime) -> OpenWork:
    queues: list[QueueRow] = []
    # at_least[i]: open tasks at least AGING_BUCKETS[i] old (every open task for i = 0).
    at_least = [0] * len(AGING_BUCKETS)
    for r in await session.execute(open_work_query(firm_id, now)):
        queues.append(
            QueueRow(
                queue=r.queue,
                depth=int(r.depth),
                claimed=int(r.claimed),
                oldest_created_at=r.oldest,
                at_risk=int(r.at_risk),
                breached=int(r.breached),
            )
        )
        at_least[0] += int(r.total)
        for i in range(1, len(AGING_BUCKETS)):
            at_least[i] += int(r._mapping[f"aged_{i}"])
    aging = {
        label: at_least[i] - (at_least[i + 1] if i + 1 < len(at_least) else 0)
        for i, (label, _) in enumerate(AGING_BUCKETS)
    }
    return OpenWork(queues=queues, aging=aging)


@dataclass(frozen=True)
class ClerkRow:
    user_id: uuid.UUID
    username: str
    wip: int
    completed_today: int


def clerks_query(firm_id: uuid.UUID | None, day_start: datetime) -> Query:
    wip = (
        select(Task.assignee_id.label("user_id"), func.count().label("n"))
        .where(_IS_OPEN_WORK, Task.status == literal_column("'claimed'"), _firm(firm_id))
        .group_by(Task.assignee_id)
        .subquery()
    )
    done = (
        select(Task.completed_by.label("user_id"), func.count().label("n"))
        .where(_IS_COMPLETED, _firm(firm_id), Task.completed_at >= day_start)
        .group_by(Task.completed_by)
        .subquery()
    )
    return (
        select(
            User.id,
            User.username,
            func.coalesce(wip.c.n, 0).label("wip"),
            func.coalesce(done.c.n, 0).label("done"),
        )
        .outerjoin(wip, wip.c.user_id == User.id)
        .outerjoin(done, done.c.user_id == User.id)
        .where(or_(wip.c.n.is_not(None), done.c.n.is_not(None)))
        .order_by(User.username)
    )


async def clerks(
    session: AsyncSession, firm_id: uuid.UUID | None, day_start: datetime
) -> list[ClerkRow]:
    return [
        ClerkRow(user_id=r.id, username=r.username, wip=int(r.wip), completed_today=int(r.done))
        for r in await session.execute(clerks_query(firm_id, day_start))
    ]


@dataclass(frozen=True)
class DayRow:
    day: str  # ISO date in the reporting time zone
    completed: int
    met: int

    @property
    def breached(self) -> int:
        return self.completed - self.met

    @property
    def attainment_pct(self) -> float | None:
        return round(100.0 * self.met / self.completed, 1) if self.completed else None


def trends_query(firm_id: uuid.UUID | None, start: datetime, end: datetime, timezone: str) -> Query:
    day = cast(func.timezone(timezone, Task.completed_at), Date)
    return (
        select(
            day.label("day"),
            func.count().label("completed"),
            func.count().filter(_met()).label("met"),
        )
        .where(_IS_COMPLETED, _firm(firm_id), Task.completed_at >= start, Task.completed_at < end)
        .group_by(literal_column("day"))
        .order_by(literal_column("day"))
    )


async def trends(
    session: AsyncSession,
    firm_id: uuid.UUID | None,
    start: datetime,
    end: datetime,
    timezone: str,
) -> list[DayRow]:
    if firm_id is not None or timezone != "UTC":
        return [
            DayRow(day=r.day.isoformat(), completed=int(r.completed), met=int(r.met))
            for r in await session.execute(trends_query(firm_id, start, end, timezone))
        ]
    # Every firm, by UTC day: whole days from the rollup, the partial edge days live.
    days, live = _edges(start, end)
    found = await dashboard_rollup.daily(session, *days) if days is not None else {}
    for low, high in live:
        for r in await session.execute(trends_query(None, low, high, timezone)):
            found[r.day.isoformat()] = (int(r.completed), int(r.met))
    return [DayRow(day=d, completed=c, met=m) for d, (c, m) in sorted(found.items())]


@dataclass(frozen=True)
class AttentionRow:
    task_id: uuid.UUID
    engagement_id: uuid.UUID
    firm_id: uuid.UUID
    title: str
    queue: str
    status: str
    priority: int
    assignee: str | None
    due_at: datetime
    breached: bool


async def attention(
    session: AsyncSession, firm_id: uuid.UUID | None, now: datetime, limit: int = 100
) -> list[AttentionRow]:
    """Open work that is breached or at risk, most overdue first: what a manager acts on."""
    # Named columns, not the Task entity: the wide JSONB columns would be read for every
    # candidate row before the sort keeps the first `limit`.
    query = (
        select(
            Task.id,
            Task.engagement_id,
            Task.firm_id,
            Task.title,
            Task.queue,
            Task.status,
            Task.priority,
            Task.due_at,
            User.username,
        )
        .join(User, User.id == Task.assignee_id, isouter=True)
        .where(_IS_OPEN_WORK, _firm(firm_id), or_(is_breached(now), is_at_risk(now)))
        .order_by(Task.due_at, Task.priority, Task.id)
        .limit(limit)
    )
    return [
        AttentionRow(
            task_id=r.id,
            engagement_id=r.engagement_id,
            firm_id=r.firm_id,
            title=r.title,
            queue=r.queue,
            status=r.status,
            priority=r.priority,
            assignee=r.username,
            due_at=r.due_at,
            breached=r.due_at <= now,
        )
        for r in await session.execute(query)
    ]
