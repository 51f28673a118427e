"""The template language: a versioned, declarative pipeline of steps for one service line.

Templates are data that firms' SOPs are written in, so every model is strict (unknown fields are
refused) and the whole template travels into the engagement workflow as an immutable snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

END = "end"
FAIL = "fail"
TERMINALS = frozenset({END, FAIL})

# The outcomes a fan-out step produces once every item's sub-pipeline has finished: `done` when
# all of them reached "end", `failed` when any reached "fail".
FANOUT_DONE = "done"
FANOUT_FAILED = "failed"
FANOUT_OUTCOMES = frozenset({FANOUT_DONE, FANOUT_FAILED})

StepId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
TemplateKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(_Strict):
    """One rung of an escalation ladder: at a fraction of the target (or at breach), act."""

    at: float | Literal["breach"]
    action: Literal["notify", "raise_priority", "move_queue", "reassign"]
    queue: str | None = None
    to: str | None = None


class SlaSpec(_Strict):
    """`target` is an ISO-8601 duration counted on the firm's business calendar or wall clock."""

    target: str
    calendar: Literal["business", "24x7"] = "business"
    warn_at: tuple[float, ...] = (0.75,)
    escalations: tuple[Escalation, ...] = ()


CapturedRef = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}\.[a-z][a-z0-9_]{0,63}$")]


class DateBound(_Strict):
    """A date a captured date is compared with: `today` (in the firm's zone), a field of the same
    output or payload, or `<step_id>.<field>` captured earlier in the pipeline; plus `days`."""

    of: str = Field(pattern=r"^(today|[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?)$")
    days: int = Field(default=0, ge=-3660, le=3660)


class DateRule(_Strict):
    """A date in a clerk's output or an event's payload must lie between two bounds, e.g. a
    provider's receipt of a request is neither before it was sent nor in the future. JSON Schema
    cannot compare two dates, so the workflow checks these when the output or event arrives;
    `rule` names the legal rule, quoted in the refusal."""

    field: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    not_before: DateBound | None = None
    not_after: DateBound | None = None
    rule: str = ""


class WaitDeadline(_Strict):
    """A wait's deadline counted in calendar days from a captured date rather than from when the
    wait starts: it ends at the end of day `days` after that date in `zone` (default: the firm's
    zone). `counted_from` lists `<step_id>.<field>` sources; the latest one captured wins, so a
    later capture (a mailed request's return receipt) replaces an earlier one."""

    counted_from: tuple[CapturedRef, ...] = Field(min_length=1)
    days: int = Field(ge=0, le=3660)
    zone: str | None = None

    @field_validator("counted_from", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class EventPayload(_Strict):
    """What an event must carry: a JSON Schema (checked by the API) and date rules."""

    payload_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    date_rules: tuple[DateRule, ...] = ()


class _StepBase(_Strict):
    id: StepId
    name: str | None = None
    instructions: str = ""
    outcomes: dict[str, str] = Field(min_length=1)
    sla: SlaSpec | None = None

    @property
    def title(self) -> str:
        return self.name or self.id.replace("_", " ").capitalize()


class HumanStep(_StepBase):
    """A task in a queue, claimed and completed by a clerk."""

    kind: Literal["human"] = "human"
    queue: str
    skill: str | None = None
    output_schema: dict[str, Any] | None = None
    not_by: tuple[str, ...] = ()
    max_rework: int | None = Field(default=None, ge=0)
    # Outcomes whose reason the clerk must give (e.g. a QC rejection).
    reason_required: tuple[str, ...] = ()
    # The output field that must equal the chosen outcome (e.g. the request's legal pathway
    # decides which wait follows, so the clerk cannot pick one and record another).
    outcome_field: str | None = None
    date_rules: tuple[DateRule, ...] = ()


class ApprovalStep(_StepBase):
    """An attorney gate: only a partner of the engagement's firm may take it."""

    kind: Literal["approval"] = "approval"
    queue: str = "approvals"
    output_schema: dict[str, Any] | None = None
    not_by: tuple[str, ...] = ()
    # Outcomes whose reason the attorney must give (e.g. changes requested on a demand).
    reason_required: tuple[str, ...] = ()


class AutomatedStep(_StepBase):
    """A registered activity; its result names the outcome."""

    kind: Literal["automated"] = "automated"
    activity: str
    params: dict[str, Any] = Field(default_factory=dict)
    max_attempts: int = Field(default=5, ge=1, le=100)
    max_rework: int | None = Field(default=None, ge=0)


class WaitStep(_StepBase):
    """Waits for an external event; optional reminders and a timeout outcome."""

    kind: Literal["wait"] = "wait"
    events: dict[str, str] = Field(min_length=1)  # event type -> outcome
    timeout: str | None = None  # ISO-8601 duration
    timeout_outcome: str | None = None
    reminders: tuple[str, ...] = ()  # ISO-8601 durations after the wait starts
    # Instead of `timeout`: the deadline counted from a captured date (its outcome is
    # `timeout_outcome`).
    deadline: WaitDeadline | None = None
    payloads: dict[str, EventPayload] = Field(default_factory=dict)  # event type -> payload

    @field_validator("events")
    @classmethod
    def _events_named(cls, value: dict[str, str]) -> dict[str, str]:
        for event_type in value:
            if not event_type.replace("_", "").isalnum():
                raise ValueError(f"event type {event_type!r} must be snake_case")
        return value


class FanoutStep(_StepBase):
    """Runs a sub-pipeline once per item of an input list, with a concurrency limit, then joins."""

    kind: Literal["fanout"] = "fanout"
    items: str  # name of the engagement input (a list) to fan out over
    concurrency: int = Field(default=5, ge=1, le=100)
    steps: tuple[Step, ...] = Field(min_length=1)


Step = Annotated[
    HumanStep | ApprovalStep | AutomatedStep | WaitStep | FanoutStep,
    Field(discriminator="kind"),
]


class Template(_Strict):
    """A whole template. `version` is assigned by the platform when it is published."""

    key: TemplateKey
    name: str
    version: int = Field(default=1, ge=1)
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    steps: tuple[Step, ...] = Field(min_length=1)

    @property
    def first_step(self) -> str:
        return self.steps[0].id

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def iter_steps(self) -> Iterator[Step]:
        """Every step, fan-out sub-steps included (right after their fan-out), in order."""
        yield from _walk(self.steps)


def _walk(steps: tuple[Step, ...]) -> Iterator[Step]:
    for step in steps:
        yield step
        if isinstance(step, FanoutStep):
            yield from _walk(step.steps)


FanoutStep.model_rebuild()
Template.model_rebuild()
