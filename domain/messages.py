"""Inputs and results of the engagement workflow, its updates and its activities.

One model per message, sent with the pydantic data converter: adding an optional field never
breaks a running history. Names here are the stable wire names (never rename them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.eligibility import WorkerFacts
from domain.enums import EngagementStatus, Priority, Role
from domain.templates import Template

ENGAGEMENT_WORKFLOW = "Engagement"
UPDATE_COMPLETE_TASK = "complete_task"
UPDATE_POST_EVENT = "post_event"
UPDATE_CANCEL = "cancel"
UPDATE_HOLD = "hold"
UPDATE_RESUME = "resume"
# Parent -> fan-out child: the engagement was held or resumed (signals: children are not callers).
SIGNAL_PARENT_HOLD = "parent_hold"
UPDATE_SET_PRIORITY = "set_priority"
UPDATE_RETRY = "retry"  # a stuck engagement runs its failed step again
# Parent -> fan-out child: a manager retried the stuck engagement.
SIGNAL_PARENT_RETRY = "parent_retry"
QUERY_STATE = "state"

ACT_CREATE_TASK = "create_task"
ACT_RECORD_COMPLETION = "record_task_completion"
ACT_RECORD_EVENT = "record_engagement_event"
ACT_CANCEL_OPEN_TASKS = "cancel_open_tasks"
ACT_RECORD_EVENT_RECEIVED = "record_event_received"
ACT_SLA_THRESHOLD = "sla_threshold_reached"
ACT_SLA_RESCHEDULE = "sla_reschedule"
ACT_SET_HOLD = "set_engagement_hold"
ACT_SET_PRIORITY = "set_engagement_priority"
ACT_LOOKUP_WORKER = "lookup_worker"


def workflow_id_for(engagement_id: str, firm_id: str) -> str:
    """Workflow ids carry no client data: only opaque ids. The firm comes first because the
    payload codec reads it to pick the firm's data key (core.codec.firm_of_workflow), for the
    engagement and for its fan-out children, whose ids start with their parent's."""
    return f"firm-{firm_id}.engagement-{engagement_id}"


class StepCompletion(BaseModel):
    step_id: str
    visit: int
    task_id: str | None = None
    actor_id: str | None = None
    outcome: str
    output: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    at: datetime


class CalendarSpec(BaseModel):
    """The firm's business calendar, snapshotted into the engagement when it starts."""

    timezone: str = "America/New_York"
    business_hours: dict[str, list[str]] | None = None  # {"mon": ["09:00", "17:00"], ...}
    holidays: list[str] = Field(default_factory=lambda: ["US-FED"])
    # The holidays of `holidays` expanded into dates when the engagement starts (sla.from_template
    # .resolve_calendar), for the years `resolved_years` [first, last]: the workflow uses these and
    # runs no holiday rule, so a later data change cannot alter a running engagement. None in
    # inputs from before statutory calendars (those expand the codes as they replay).
    resolved_holidays: dict[date, str] | None = None
    resolved_years: list[int] | None = None


class FanoutContext(BaseModel):
    """Set on the child workflow that runs one item of a fan-out step."""

    parent_step: str
    index: int  # 1-based; task rows carry it as `item`


class EngagementState(BaseModel):
    """Everything the interpreter carries across continue-as-new."""

    current_step: str | None = None
    visits: dict[str, int] = Field(default_factory=dict)
    rework: dict[str, int] = Field(default_factory=dict)  # step -> times it sent work back
    rework_sender: str | None = None  # the step whose send-back created the next task
    completions: list[StepCompletion] = Field(default_factory=list)
    current_task_id: str | None = None
    status: EngagementStatus = EngagementStatus.RUNNING
    priority: Priority = Priority.NORMAL
    on_hold: bool = False
    held_since: datetime | None = None


class EngagementInput(BaseModel):
    engagement_id: str
    firm_id: str
    template: Template
    inputs: dict[str, Any] = Field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    court_deadline: datetime | None = None
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    # Due times stop this much before a court deadline, so a filing never lands on the last hour.
    court_deadline_buffer_hours: float = 24.0
    # From the firm's contract: an urgent task may get a shorter target (factor x target).
    priority_factors: dict[Priority, float] = Field(default_factory=dict)
    fanout: FanoutContext | None = None
    # Continue-as-new after this many steps in one run (0: only when Temporal suggests it), so a
    # months-long engagement with many rework loops never meets the history limits.
    steps_per_run: int = 0
    state: EngagementState | None = None  # set when continuing as new


class EngagementResult(BaseModel):
    status: EngagementStatus
    last_step: str | None = None
    completions: int = 0
    outputs: dict[str, dict[str, Any]] = Field(default_factory=dict)  # latest output per step


class Actor(BaseModel):
    """Who is acting, as the API authenticated them."""

    user_id: str
    role: Role
    firm_id: str | None = None
    # What the workflow's validator needs to apply domain.eligibility (empty in old histories).
    skills: list[str] = Field(default_factory=list)

    @property
    def worker(self) -> WorkerFacts:
        return WorkerFacts(
            user_id=self.user_id, role=self.role, skills=self.skills, firm_id=self.firm_id
        )


class CompleteTaskRequest(BaseModel):
    task_id: str
    actor: Actor
    outcome: str
    output: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    request_id: str | None = None
    # The claim generation the completer holds (the fence): a completion that arrives after the
    # claim was released, expired or reassigned is refused, never applied in the wrong name.
    # None only from callers older than the fence.
    generation: int | None = None


class CompleteTaskResult(BaseModel):
    task_id: str
    step_id: str
    outcome: str
    next_step: str | None


class PostEventRequest(BaseModel):
    type: str
    payload: dict[str, Any] = Field(default_factory=dict)
    actor: Actor
    task_id: str  # the wait's row: the API finds it by event type (and item, for fan-outs)


class PostEventResult(BaseModel):
    step_id: str
    outcome: str


class CancelRequest(BaseModel):
    reason: str
    actor: Actor


class HoldRequest(BaseModel):
    reason: str | None = None
    actor: Actor


class SetPriorityRequest(BaseModel):
    priority: Priority
    reason: str | None = None
    actor: Actor


class SetPriorityInput(BaseModel):
    """The engagement's new priority, and its open task's recomputed SLA instants."""

    engagement_id: str
    firm_id: str
    priority: Priority
    task_id: str | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    actor: Actor
    reason: str | None = None
    at: datetime


class ControlResult(BaseModel):
    status: EngagementStatus


class CreateTaskInput(BaseModel):
    task_id: str
    engagement_id: str
    firm_id: str
    step_id: str
    visit: int
    item: int = 0  # fan-out item (1-based); 0 for top-level steps
    kind: str
    title: str
    queue: str
    skill: str | None = None
    priority: Priority = Priority.NORMAL
    outcomes: list[str]
    output_schema: dict[str, Any] | None = None
    instructions: str = ""
    inputs: dict[str, Any] = Field(default_factory=dict)
    excluded_user_ids: list[str] = Field(default_factory=list)
    assignee_id: str | None = None
    escalated: bool = False
    due_at: datetime | None = None
    warn_at: datetime | None = None
    status: str = "open"  # "waiting" for wait steps: never claimable, resolved by an event


class EventReceivedInput(BaseModel):
    task_id: str
    engagement_id: str
    firm_id: str
    step_id: str
    type: str
    payload: dict[str, Any] = Field(default_factory=dict)
    actor: Actor | None = None  # None when the wait timed out
    outcome: str
    at: datetime


class SlaThresholdInput(BaseModel):
    """A warning, breach or escalation instant reached while a task was open."""

    task_id: str
    engagement_id: str
    firm_id: str
    step_id: str
    kind: str  # warning | breach | escalation
    fraction: float
    action: str | None = None  # notify | raise_priority | move_queue | reassign
    queue: str | None = None
    to: str | None = None
    due_at: datetime
    at: datetime
    # Decided by the workflow (None in inputs from before it decided them): the task's new
    # priority after raise_priority, and for reassign the user it goes to, or why it may not.
    priority: Priority | None = None
    assignee_id: str | None = None
    refused: str | None = None


class LookupWorkerInput(BaseModel):
    username: str
    queue: str


class WorkerLookup(BaseModel):
    """A user as domain.eligibility reads them (found=False: no such active user)."""

    found: bool
    user_id: str | None = None
    role: Role | None = None
    skills: list[str] = Field(default_factory=list)
    firm_id: str | None = None
    available: bool = False
    queue_skill: str | None = None  # the queue's own required skill


class SlaRescheduleInput(BaseModel):
    """New due time after a hold: the clock moved by the business time held."""

    task_id: str
    engagement_id: str
    due_at: datetime
    warn_at: datetime | None = None
    sla_state: str


class SetHoldInput(BaseModel):
    engagement_id: str
    firm_id: str
    on_hold: bool
    actor: Actor
    reason: str | None = None
    at: datetime


class RecordCompletionInput(BaseModel):
    task_id: str
    engagement_id: str
    firm_id: str
    step_id: str
    actor: Actor
    outcome: str
    output: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    request_id: str | None = None
    at: datetime
    generation: int | None = None  # the completer's claim; None: unfenced (older callers)


class RecordCompletionResult(BaseModel):
    """Whether the completion was written: False when the claim it was made under is gone."""

    applied: bool
    reason: str | None = None


class EngagementEventInput(BaseModel):
    """A timeline entry; `key` makes the write idempotent across activity retries."""

    key: str
    engagement_id: str
    firm_id: str
    type: str
    step_id: str | None = None
    actor_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    at: datetime
    status: EngagementStatus | None = None  # also moves the engagement row to this status
    current_step: str | None = None


class CancelOpenTasksInput(BaseModel):
    engagement_id: str
    firm_id: str
    actor_id: str | None = None
    reason: str


class AutomatedStepInput(BaseModel):
    """What every automated-step activity receives."""

    engagement_id: str
    firm_id: str
    step_id: str
    attempt_key: str
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = Field(default_factory=dict)  # latest output per step


class AutomatedStepResult(BaseModel):
    outcome: str
    detail: dict[str, Any] = Field(default_factory=dict)
