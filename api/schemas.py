"""Request and response bodies. Requests are strict: unknown fields are refused (422)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from domain.enums import Priority, Role

T = TypeVar("T")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _one_line(value: str) -> str:
    # PostgreSQL text cannot hold NUL (a 500 before, found by fuzzing), and control
    # characters in a name break logs, CSV exports and calendar feeds.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _text(value: str) -> str:
    if _CONTROL_BUT_LINES.search(value):
        raise ValueError("must not contain control characters other than tabs and line breaks")
    return value


# The one shape of every name (queues, templates, titles, outcomes, zones…) and of every piece
# of free text (notes, reasons) a request carries; a field may tighten the length.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
Text = Annotated[str, Field(max_length=10_000), AfterValidator(_text)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    id: uuid.UUID
    username: str
    role: Role
    firm_id: uuid.UUID | None
    skills: list[str]


class FirmIn(Request):
    name: Name = Field(min_length=2, max_length=200)
    timezone: Name = Field(default="America/New_York", max_length=64)
    business_hours: dict[str, list[str]] | None = Field(
        default=None,
        description='Per weekday, e.g. {"mon": ["09:00", "17:00"]}; default Monday-Friday 9-17',
    )
    holidays: list[Name] = Field(default_factory=lambda: ["US-FED"], max_length=10)


class FirmOut(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str
    business_hours: dict[str, Any]
    holidays: list[str]
    sla_policy: dict[str, Any]
    created_at: datetime


class EngagementIn(Request):
    firm_id: uuid.UUID
    template: Name = Field(min_length=2, max_length=64)
    title: Name = Field(min_length=1, max_length=300)
    matter_ref: Name = Field(min_length=1, max_length=100)
    priority: Priority = Priority.NORMAL
    inputs: dict[str, Any] = Field(default_factory=dict)
    court_deadline: datetime | date | None = Field(
        default=None,
        description="An instant with its offset, or a date alone: the end of that day in "
        "`court_timezone` (FRCP 6(a)(4)(A): the last day ends at midnight in the court's zone)",
    )
    court_timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone of the court (default: the firm's), for a date-only deadline",
    )

    @field_validator("court_deadline", mode="before")
    @classmethod
    def _date_or_aware_instant(cls, value: Any) -> Any:
        # A bare "2027-01-19" is a date (pydantic would read it as a naive midnight); a time
        # without an offset is ambiguous by hours around a filing cut-off: refused, not guessed.
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
        if isinstance(value, str):
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if instant.utcoffset() is None:
                raise ValueError(
                    "give the deadline's UTC offset (e.g. 2027-01-19T17:00:00-05:00) or a date "
                    "alone (it then means the end of that day in the court's time zone)"
                )
            return instant
        return value

    @field_validator("court_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like America/Chicago)")
        return value


class TemplateRef(BaseModel):
    key: str
    version: int


class StepOut(BaseModel):
    id: str
    kind: str
    name: str
    status: str
    visits: int
    task_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    waiting_for: list[str] = Field(default_factory=list)
    sla_state: str | None = None
    due_at: datetime | None = None
    items: list[FanoutItemOut] = Field(
        default_factory=list, description="fan-out steps: where each item's run stands"
    )


class FanoutItemOut(BaseModel):
    item: int
    step_id: str
    status: str
    task_id: uuid.UUID
    assignee_id: uuid.UUID | None
    waiting_for: list[str] = Field(default_factory=list)


StepOut.model_rebuild()


class TimelineEntry(BaseModel):
    at: datetime
    type: str
    step_id: str | None
    actor_id: uuid.UUID | None
    detail: dict[str, Any]


class EngagementOut(BaseModel):
    id: uuid.UUID
    firm_id: uuid.UUID
    template: TemplateRef
    title: str
    matter_ref: str
    priority: Priority
    status: str
    current_step: str | None
    court_deadline: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class EngagementDetail(EngagementOut):
    inputs: dict[str, Any]
    steps: list[StepOut]
    timeline: list[TimelineEntry]
    temporal_ui_url: str | None = None


class EventIn(Request):
    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    payload: dict[str, Any] = Field(default_factory=dict)
    item: int | None = Field(
        default=None, ge=1, description="which fan-out item (1-based) when several wait"
    )


class ReasonIn(Request):
    reason: Text = Field(min_length=1, max_length=2000)


class PriorityIn(Request):
    priority: Priority
    reason: Text | None = Field(default=None, max_length=2000)


class TemplateIn(Request):
    """A template to publish, as YAML/JSON text or as an already-parsed mapping."""

    definition: dict[str, Any] | None = None
    yaml: str | None = Field(default=None, max_length=200_000)


class TaskOut(BaseModel):
    id: uuid.UUID
    engagement_id: uuid.UUID
    firm_id: uuid.UUID
    step_id: str
    visit: int
    item: int = Field(description="fan-out item (1-based) of a fan-out step's run; 0 otherwise")
    kind: str
    title: str
    queue: str
    skill: str | None
    priority: Priority
    status: str
    assignee_id: uuid.UUID | None
    claimed_at: datetime | None
    lease_expires_at: datetime | None
    generation: int
    escalated: bool
    due_at: datetime | None
    sla_state: str | None
    created_at: datetime
    outcome: str | None
    completed_by: uuid.UUID | None
    completed_at: datetime | None


class TaskDetail(TaskOut):
    instructions: str
    inputs: dict[str, Any]
    allowed_outcomes: list[str]
    output_schema: dict[str, Any] | None
    output: dict[str, Any] | None
    note: str | None


class ClaimNextIn(Request):
    queues: list[Name] | None = Field(default=None, max_length=100)


class AssignIn(Request):
    assignee: uuid.UUID | Name = Field(description="user id or username")
    reason: Text | None = Field(default=None, max_length=2000)


class CompleteIn(Request):
    outcome: Name = Field(min_length=1, max_length=64)
    output: dict[str, Any] = Field(default_factory=dict)
    note: Text | None = Field(default=None, max_length=10000)
    generation: int | None = Field(
        default=None, description="the claim generation you hold; a stale one is refused (409)"
    )


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: str
    engagement_id: uuid.UUID | None
    firm_id: uuid.UUID | None
    detail: dict[str, Any]
    request_id: str | None


class TemplateSummary(BaseModel):
    key: str
    version: int
    name: str
    builtin: bool


class TemplateOut(TemplateSummary):
    definition: dict[str, Any]
