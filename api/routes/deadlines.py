"""The deadline calculator: FRCP 6 court days and business-hours due times, explained."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import Principal, require
from api.permissions import Permission
from api.schemas import Name, Request
from sla import BusinessCalendar, add_business_time, compute_court_deadline

router = APIRouter(prefix="/deadlines", tags=["deadlines"])


class CourtDaysIn(Request):
    kind: Literal["court_days"]
    trigger: date
    days: int = Field(ge=1, le=3650)
    direction: Literal["after", "before"] = "after"
    jurisdiction: Name = Field(default="US-FED", max_length=16, examples=["US-FED", "US-FED-MA"])
    service: Literal["electronic", "mail", "clerk", "other_consented", "personal"] | None = None
    inaccessible: list[date] = Field(
        default_factory=list, max_length=31, description="days the clerk's office was inaccessible"
    )


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
    kind: Literal["court_days"] = "court_days"
    deadline: date
    explanation: list[str]
    rule_citations: list[str]
    jurisdiction: str


class BusinessHoursOut(BaseModel):
    kind: Literal["business_hours"] = "business_hours"
    due_at: datetime
    timezone: str


DeadlineIn = Annotated[CourtDaysIn | BusinessHoursIn, Field(discriminator="kind")]


@router.post("/compute", response_model=CourtDeadlineOut | BusinessHoursOut)
async def compute_deadline(
    body: DeadlineIn,
    _: Annotated[Principal, Depends(require(Permission.DEADLINES_COMPUTE))],
) -> CourtDeadlineOut | BusinessHoursOut:
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
            )
            return CourtDeadlineOut(
                deadline=result.deadline,
                explanation=result.explanation,
                rule_citations=result.rule_citations,
                jurisdiction=result.jurisdiction,
            )
        calendar = BusinessCalendar.from_config(body.timezone, body.business_hours, body.holidays)
        due = add_business_time(calendar, body.start, timedelta(hours=body.hours))
        return BusinessHoursOut(due_at=due, timezone=calendar.timezone)
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
