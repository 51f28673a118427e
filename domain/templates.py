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
