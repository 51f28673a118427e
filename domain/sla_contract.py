"""A firm's SLA contract: its own targets for template steps, and how priority scales them.

The contract is applied to the template snapshot when an engagement starts, so a running
engagement keeps the terms it started under even if the contract changes later.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.enums import Priority
from domain.templates import FanoutStep, SlaSpec, Step, Template


class FirmSlaPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # template key -> step id -> the SLA this firm contracted for that step
    steps: dict[str, dict[str, SlaSpec]] = Field(default_factory=dict)
    # e.g. {"urgent": 0.5, "high": 0.75}: an urgent task gets half the target time
    priority_factors: dict[Priority, float] = Field(default_factory=dict)

    def factor(self, priority: Priority) -> float:
        return self.priority_factors.get(priority, 1.0)


def apply_contract(template: Template, policy: FirmSlaPolicy) -> Template:
    """The template with this firm's step SLAs in place of the template's own."""
    overrides = policy.steps.get(template.key, {})
    if not overrides:
        return template

    def patched(step: Step) -> Step:
        if isinstance(step, FanoutStep):
            return step.model_copy(update={"steps": tuple(patched(s) for s in step.steps)})
        if step.id in overrides:
            return step.model_copy(update={"sla": overrides[step.id]})
        return step

    return template.model_copy(update={"steps": tuple(patched(s) for s in template.steps)})
