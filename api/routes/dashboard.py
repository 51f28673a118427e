"""Dashboards: SLA attainment, queue health and daily trends, as JSON or CSV.

Tenant-scoped like everything else: a partner sees their own firm (asking for another firm's id
is a 404, as if it did not exist); BPO staff see one firm or, without `firm_id`, all of them.
Figures and their definitions live in `store.repositories.dashboard`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from domain.enums import Priority, Role
from store.models import Firm
from store.repositories import dashboard, engagements, firms
from store.repositories.dashboard import GroupBy

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

DEFAULT_DAYS = 30
MAX_DAYS = 366
AT_RISK_RULE = (
    f"open, not yet due, and within the last {int(dashboard.WARN_FRACTION * 100)}% "
    "of its SLA span (created_at -> due_at)"
)
MET_RULE = "completed_at <= due_at; a completed task without a due time counts as met"

Format = Literal["json", "csv"]
FirmQuery = Annotated[
    uuid.UUID | None,
    Query(description="one firm; partners may omit it (their own firm is implied)"),
]
FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        description="start, inclusive: a date (start of that day) or a date-time; "
        f"default {DEFAULT_DAYS} days before `to`",
    ),
]
ToQuery = Annotated[
    str | None,
    Query(
        description="end: a date (inclusive: through the end of that day) or an exclusive "
        "date-time; default now"
    ),
]
FormatQuery = Annotated[Format, Query(description="`csv` for a spreadsheet")]


class SlaFigures(BaseModel):
    key: str = Field(description="the group (template key, step id, queue or clerk), or `all`")
    completed: int
    met: int
    breached: int
    attainment_pct: float | None = Field(description="met / completed x 100; null if none")
    open: int
    at_risk: int
    open_breached: int = Field(description="open work already past its due time")
    cycle_p50_seconds: float | None
    cycle_p90_seconds: float | None


class SlaOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    firm_id: uuid.UUID | None
    from_: datetime = Field(alias="from")
    to: datetime
    group_by: GroupBy
    generated_at: datetime
    met_rule: str = MET_RULE
    at_risk_rule: str = AT_RISK_RULE
    total: SlaFigures
    groups: list[SlaFigures]


class QueueFigures(BaseModel):
    queue: str
    depth: int = Field(description="open, unclaimed tasks")
    claimed: int
    oldest_age_seconds: float | None = Field(description="age of the oldest unclaimed task")
    at_risk: int
    breached: int


class ClerkFigures(BaseModel):
    user_id: uuid.UUID
    username: str
    wip: int = Field(description="tasks the clerk holds now")
    completed_today: int


class AgingBucket(BaseModel):
    bucket: str
    open: int


class QueuesOut(BaseModel):
    firm_id: uuid.UUID | None
    generated_at: datetime
    at_risk_rule: str = AT_RISK_RULE
    queues: list[QueueFigures]
    clerks: list[ClerkFigures]
    aging: list[AgingBucket]


class TrendDay(BaseModel):
    day: date
    completed: int = Field(description="throughput: tasks completed that day")
    met: int
    breached: int
    attainment_pct: float | None


class TrendsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    firm_id: uuid.UUID | None
    from_: datetime = Field(alias="from")
    to: datetime
    timezone: str = Field(description="days are calendar days in this time zone")
    days: list[TrendDay]


class AttentionItem(BaseModel):
    """A task that is breached or at risk, or (task_id null) an engagement that is stuck."""

    task_id: uuid.UUID | None
    engagement_id: uuid.UUID
    firm_id: uuid.UUID
    title: str
    queue: str | None
    status: str
    priority: Priority | None
    assignee: str | None
    due_at: datetime | None
    state: Literal["stuck", "breached", "at_risk"]
    reason: str | None = None  # why it is stuck (the error's type and message)


async def resolve_firm(
    session: AsyncSession, principal: Principal, firm_id: uuid.UUID | None
) -> Firm | None:
    """The firm a dashboard covers; None means every firm (BPO staff only)."""
    if principal.role == Role.PARTNER and firm_id is None:
        firm_id = principal.firm_id
    if firm_id is None:
        return None
    firm = await firms.get(session, firm_id, principal.scope)
    if firm is None:
        raise HTTPException(status_code=404, detail="firm not found")
    return firm


def _parse_bound(value: str, name: str, tz: ZoneInfo, *, end: bool) -> datetime:
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            # A date names a whole day: `to=2024-05-31` includes the 31st.
            start = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=tz)
            return start.astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(
            status_code=422,
            detail=f"{name}: expected a date (2024-05-31) or a date-time (2024-05-31T17:00:00Z)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)  # a wall-clock time is the firm's
    return moment.astimezone(UTC)


def period(
    from_: str | None, to: str | None, tz: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    end = _parse_bound(to, "to", tz, end=True) if to else now
    start = _parse_bound(from_, "from", tz, end=False) if from_ else end - timedelta(DEFAULT_DAYS)
    if start >= end:
        raise HTTPException(status_code=422, detail="from: must be before `to`")
    if end - start > timedelta(days=MAX_DAYS):
        raise HTTPException(status_code=422, detail=f"the period may span at most {MAX_DAYS} days")
    return start, end


def _zone(firm: Firm | None) -> ZoneInfo:
    return ZoneInfo(firm.timezone) if firm is not None else ZoneInfo("UTC")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A spreadsheet runs a cell that starts like a formula (OWASP "CSV Injection"): such text,
    a firm or matter name written by a user, is prefixed with a quote so it stays text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_response(rows: Iterable[BaseModel], columns: Sequence[str], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow({k: _cell(values.get(k)) for k in columns})
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _figures(row: dashboard.SlaRow) -> SlaFigures:
    return SlaFigures(
        key=row.key,
        completed=row.completed,
        met=row.met,
        breached=row.breached,
        attainment_pct=row.attainment_pct,
        open=row.open,
        at_risk=row.at_risk,
        open_breached=row.open_breached,
        cycle_p50_seconds=row.cycle_p50_seconds,
        cycle_p90_seconds=row.cycle_p90_seconds,
    )


@router.get("/sla", response_model=SlaOut, responses={200: {"content": {"text/csv": {}}}})
async def sla_dashboard(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))],
    firm_id: FirmQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    group_by: GroupBy = GroupBy.TEMPLATE,
    format: FormatQuery = "json",
) -> Any:
    """SLA attainment for completed work in the period, and the state of open work now."""
    firm = await resolve_firm(session, principal, firm_id)
    now = datetime.now(UTC)
    start, end = period(from_, to, _zone(firm), now)
    scope_id = firm.id if firm else None
    rows, all_rows = await dashboard.sla(session, scope_id, start, end, group_by, now)
    groups = [_figures(r) for r in rows]
    if format == "csv":
        return csv_response(groups, list(SlaFigures.model_fields), f"sla-by-{group_by}.csv")
    total = _figures(all_rows)
    return SlaOut(
        firm_id=scope_id,
        from_=start,
        to=end,
        group_by=group_by,
        generated_at=now,
        total=total,
        groups=groups,
    )


@router.get("/queues", response_model=QueuesOut, responses={200: {"content": {"text/csv": {}}}})
async def queues_dashboard(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))],
    firm_id: FirmQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """Queue depth, claims, oldest age, at-risk and breached work; clerk load; backlog aging.

    The CSV holds the per-queue rows.
    """
    firm = await resolve_firm(session, principal, firm_id)
    now = datetime.now(UTC)
    scope_id = firm.id if firm else None
    board = await dashboard.open_work(session, scope_id, now)
    queues = [
        QueueFigures(
            queue=q.queue,
            depth=q.depth,
            claimed=q.claimed,
            oldest_age_seconds=(now - q.oldest_created_at).total_seconds()
            if q.oldest_created_at
            else None,
            at_risk=q.at_risk,
            breached=q.breached,
        )
        for q in board.queues
    ]
    if format == "csv":
        return csv_response(queues, list(QueueFigures.model_fields), "queues.csv")
    day_start = datetime.combine(now.astimezone(_zone(firm)).date(), time(), tzinfo=_zone(firm))
    clerks = [
        ClerkFigures(
            user_id=c.user_id, username=c.username, wip=c.wip, completed_today=c.completed_today
        )
        for c in await dashboard.clerks(session, scope_id, day_start)
    ]
    aging = [AgingBucket(bucket=label, open=n) for label, n in board.aging.items()]
    return QueuesOut(firm_id=scope_id, generated_at=now, queues=queues, clerks=clerks, aging=aging)


@router.get("/trends", response_model=TrendsOut, responses={200: {"content": {"text/csv": {}}}})
async def trends_dashboard(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))],
    firm_id: FirmQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """Daily throughput and attainment; days without completions are listed with zeros."""
    firm = await resolve_firm(session, principal, firm_id)
    zone = _zone(firm)
    now = datetime.now(UTC)
    start, end = period(from_, to, zone, now)
    found = {
        r.day: r
        for r in await dashboard.trends(session, firm.id if firm else None, start, end, zone.key)
    }
    days: list[TrendDay] = []
    day, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone)
    while day <= last.date():
        row = found.get(day.isoformat())
        days.append(
            TrendDay(
                day=day,
                completed=row.completed if row else 0,
                met=row.met if row else 0,
                breached=row.breached if row else 0,
                attainment_pct=row.attainment_pct if row else None,
            )
        )
        day += timedelta(days=1)
    if format == "csv":
        return csv_response(days, list(TrendDay.model_fields), "trends.csv")
    return TrendsOut(
        firm_id=firm.id if firm else None, from_=start, to=end, timezone=zone.key, days=days
    )


@router.get(
    "/attention",
    response_model=list[AttentionItem],
    responses={200: {"content": {"text/csv": {}}}},
)
async def attention_list(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))],
    firm_id: FirmQuery = None,
    limit: int = Query(default=100, ge=1, le=500),
    format: FormatQuery = "json",
) -> Any:
    """What a manager acts on: stuck engagements first, then open work that is breached or at
    risk, most overdue first."""
    firm = await resolve_firm(session, principal, firm_id)
    now = datetime.now(UTC)
    stuck = [
        AttentionItem(
            task_id=None,
            engagement_id=r.engagement_id,
            firm_id=r.firm_id,
            title=r.title,
            queue=None,
            status="stuck",
            priority=None,
            assignee=None,
            due_at=None,
            state="stuck",
            reason=r.reason,
        )
        for r in await engagements.stuck(session, firm.id if firm else None, limit)
    ]
    items = stuck + [
        AttentionItem(
            task_id=r.task_id,
            engagement_id=r.engagement_id,
            firm_id=r.firm_id,
            title=r.title,
            queue=r.queue,
            status=r.status,
            priority=Priority.from_rank(r.priority),
            assignee=r.assignee,
            due_at=r.due_at,
            state="breached" if r.breached else "at_risk",
        )
        for r in await dashboard.attention(
            session, firm.id if firm else None, now, limit - len(stuck)
        )
    ]
    if format == "csv":
        return csv_response(items, list(AttentionItem.model_fields), "attention.csv")
    return items
