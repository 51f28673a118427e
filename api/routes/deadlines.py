"""The deadline calculator: FRCP 6 court days and hours, court rules, business hours, explained."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import Principal, require
from api.permissions import Permission
from api.schemas import Name, Request
from sla import BusinessCalendar, add_business_time, compute_court_deadline
from sla.calendar import load_zone
from sla.court_days import CourtDeadline, compute_court_hours, end_of_last_day
from sla.court_rules import apply_rule, court_rule, court_rules

router = APIRouter(prefix="/deadlines", tags=["deadlines"])


ServiceMethod = Literal["electronic", "mail", "clerk", "other_consented", "personal"]


class DeclaredHoliday(Request):
    date: date
    name: str = Field(min_length=1, max_length=200, examples=["National Day of Mourning"])


class _CourtPeriod(Request):
    jurisdiction: str = Field(default="US-FED", max_length=16, examples=["US-FED", "US-FED-MA"])
    inaccessible: list[date] = Field(
        default_factory=list, max_length=31, description="days the clerk's office was inaccessible"
    )
    declared_holidays: list[DeclaredHoliday] = Field(
        default_factory=list,
        max_length=31,
        description="days declared a holiday by the President or Congress (FRCP 6(a)(6)(B))",
    )
    court_timezone: str | None = Field(
        default=None,
        max_length=64,
        examples=["America/Los_Angeles"],
        description="with it, the answer adds last_moment (FRCP 6(a)(4)(A))",
    )

    def declared(self) -> dict[date, str]:
        return {holiday.date: holiday.name for holiday in self.declared_holidays}


class CourtDaysIn(_CourtPeriod):
    kind: Literal["court_days"]
    trigger: date
    days: int = Field(ge=1, le=3650)
    direction: Literal["after", "before"] = "after"
    service: ServiceMethod | None = None


class RuleIn(_CourtPeriod):
    kind: Literal["rule"]
    rule: str = Field(max_length=100, examples=["frcp-33b2-interrogatory-answers"])
    trigger: date
    service: ServiceMethod | None = None


class CourtHoursIn(Request):
    kind: Literal["court_hours"]
    start: AwareDatetime
    hours: int = Field(ge=1, le=24 * 365)
    jurisdiction: str = Field(default="US-FED", max_length=16)
    court_timezone: str = Field(max_length=64, examples=["America/New_York"])
    declared_holidays: list[DeclaredHoliday] = Field(default_factory=list, max_length=31)
    inaccessible: list[date] = Field(default_factory=list, max_length=31)


class BusinessHoursIn(Request):
    kind: Literal["business_hours"]
    start: AwareDatetime
    hours: float = Field(gt=0, le=24 * 365)
    timezone: Name = Field(default="America/New_York", max_length=64)
    holidays: list[Name] = Field(default_factory=lambda: ["US-FED"], max_length=10)
    business_hours: dict[str, list[str]] | None = Field(
        default=None, description='e.g. {"mon": ["09:00", "17:00"]}; default Monday-Friday 9-17'
    )


class CourtDeadlineOut(BaseModel):
    kind: Literal["court_days", "rule"] = "court_days"
    deadline: date
    last_moment: datetime | None = Field(
        default=None, description="midnight ending the last day in the court's zone"
    )
    explanation: list[str]
    rule_citations: list[str]
    jurisdiction: str
    rule: str | None = None


class CourtHoursOut(BaseModel):
    kind: Literal["court_hours"] = "court_hours"
    ends_at: datetime
    explanation: list[str]
    rule_citations: list[str]
    jurisdiction: str


class CourtRuleOut(BaseModel):
    id: str
    citation: str
    description: str
    trigger: str
    days: int | None = None
    hours: int | None = None
    years: int | None = None
    direction: Literal["after", "before"]
    service_extension: bool = Field(description="FRCP 6(d) adds 3 days for mail/clerk/consented")
    when: dict[str, bool]
    rule_set: str
    source_url: str
    source_text_date: date | None


class BusinessHoursOut(BaseModel):
    kind: Literal["business_hours"] = "business_hours"
    due_at: datetime
    timezone: str


DeadlineIn = Annotated[
    CourtDaysIn | RuleIn | CourtHoursIn | BusinessHoursIn, Field(discriminator="kind")
]
DeadlineOut = CourtDeadlineOut | CourtHoursOut | BusinessHoursOut


@router.get("/rules", response_model=list[CourtRuleOut])
async def list_rules(
    _: Annotated[Principal, Depends(require(Permission.DEADLINES_COMPUTE))],
) -> list[CourtRuleOut]:
    """The court-rule catalog: each rule's period, direction, trigger, citation and source."""
    return [CourtRuleOut.model_validate(rule.model_dump()) for rule in court_rules().values()]


def _court_out(
    body: CourtDaysIn | RuleIn, result: CourtDeadline, rule: str | None = None
) -> CourtDeadlineOut:
    last_moment = None
    if body.court_timezone is not None:
        load_zone(body.court_timezone)
        last_moment = end_of_last_day(result.deadline, body.court_timezone)
    return CourtDeadlineOut(
        kind=body.kind,
        deadline=result.deadline,
        last_moment=last_moment,
        explanation=result.explanation,
        rule_citations=result.rule_citations,
        jurisdiction=result.jurisdiction,
        rule=rule,
    )


@router.post("/compute", response_model=DeadlineOut)
async def compute_deadline(
    body: DeadlineIn,
    _: Annotated[Principal, Depends(require(Permission.DEADLINES_COMPUTE))],
) -> DeadlineOut:
    """Court days per FRCP 6(a)/6(d), or a due time `hours` business hours after `start`.

    The result is a computation, not legal advice: local rules and orders override the federal
    defaults, and a person must verify every deadline before relying on it.
    """
    try:
        if isinstance(body, CourtDaysIn):
            result = compute_court_deadline(
                body.trigger,
                body.days,
                body.direction,
                body.jurisdiction,
                body.service,
                frozenset(body.inaccessible),
                declared_holidays=body.declared(),
            )
            return _court_out(body, result)
        if isinstance(body, RuleIn):
            rule = court_rule(body.rule)
            result = apply_rule(
                rule,
                body.trigger,
                body.jurisdiction,
                body.service,
                inaccessible=frozenset(body.inaccessible),
                declared_holidays=body.declared(),
            )
            return _court_out(body, result, rule.id)
        if isinstance(body, CourtHoursIn):
            load_zone(body.court_timezone)
            hours = compute_court_hours(
                body.start,
                body.hours,
                body.jurisdiction,
                body.court_timezone,
                declared_holidays={h.date: h.name for h in body.declared_holidays},
                inaccessible=frozenset(body.inaccessible),
            )
            return CourtHoursOut(
                ends_at=hours.ends_at,
                explanation=hours.explanation,
                rule_citations=hours.rule_citations,
                jurisdiction=hours.jurisdiction,
            )
        calendar = BusinessCalendar.from_config(body.timezone, body.business_hours, body.holidays)
        due = add_business_time(calendar, body.start, timedelta(hours=body.hours))
        return BusinessHoursOut(due_at=due, timezone=calendar.timezone)
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    except OverflowError as error:  # a period running past 9999-12-31
        raise HTTPException(
            status_code=422, detail="the period runs past the last date the calendar supports"
        ) from error
