"""Where an engagement goes next and who may move it: pure rules over the template snapshot and
the engagement's state (no Temporal calls, so the interpreter and its Update validators share
them and replay sees the same answers)."""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.date_rules import date_rule_problems
    from domain.eligibility import TaskFacts, refusal
    from domain.errors import ErrorType
    from domain.messages import CompleteTaskRequest, EngagementState
    from domain.templates import END, FAIL, ApprovalStep, HumanStep, Step, Template


def next_step(template: Template, state: EngagementState, step: Step, outcome: str) -> str:
    """The step an outcome leads to; going back to an earlier step is rework, counted against
    the sender's max_rework (templates list steps in their forward order)."""
    target = step.outcomes[outcome]
    if target not in (END, FAIL) and _position(template, target) <= _position(template, step.id):
        state.rework[step.id] = state.rework.get(step.id, 0) + 1
        state.rework_sender = step.id
    return target


def _position(template: Template, step_id: str) -> int:
    return next(i for i, s in enumerate(template.steps) if s.id == step_id)


def rework_limit_exceeded(template: Template, state: EngagementState) -> bool:
    """Whether the last send-back went over its sender's max_rework (read once, then cleared)."""
    sender, state.rework_sender = state.rework_sender, None
    if sender is None:
        return False
    limit = getattr(template.step(sender), "max_rework", None)
    return limit is not None and state.rework.get(sender, 0) > limit


def excluded_actors(state: EngagementState, step: HumanStep | ApprovalStep) -> list[str]:
    """Separation of duties: whoever completed a `not_by` step may not take this one."""
    return sorted(
        {
            c.actor_id
            for c in state.completions
            if c.step_id in step.not_by and c.actor_id is not None
        }
    )


def task_facts(firm_id: str, state: EngagementState, step: HumanStep | ApprovalStep) -> TaskFacts:
    """The current task as domain.eligibility reads it (queue settings are checked at claim)."""
    return TaskFacts(
        kind=step.kind,
        firm_id=firm_id,
        skill=step.skill if isinstance(step, HumanStep) else None,
        excluded_user_ids=excluded_actors(state, step),
    )


def previous_actor(state: EngagementState, step_id: str) -> str | None:
    """Rework goes back to whoever did the step before (the same drafter), when known."""
    for completion in reversed(state.completions):
        if completion.step_id == step_id:
            return completion.actor_id
    return None


def captured_outputs(state: EngagementState) -> list[tuple[str, dict[str, Any]]]:
    """Every step's output so far, in order (what date rules and wait deadlines read)."""
    return [(c.step_id, c.output) for c in state.completions]


def completion_refusal(
    step: HumanStep | ApprovalStep,
    request: CompleteTaskRequest,
    facts: TaskFacts,
    outputs: list[tuple[str, dict[str, Any]]],
    today: date,
) -> tuple[ErrorType, str] | None:
    """Why this completion of the current step must be refused, or None: the outcome, who may
    complete it, a required reason, the outcome field and the step's date rules."""
    if request.outcome not in step.outcomes:
        allowed = ", ".join(sorted(step.outcomes))
        return (
            ErrorType.WRONG_OUTCOME,
            f"outcome {request.outcome!r} is not allowed at step {step.id!r} (allowed: {allowed})",
        )
    refused = refusal(facts, request.actor.worker)
    if refused is not None:
        return refused.type, f"step {step.id!r}: {refused.reason}"
    needs_reason = request.outcome in step.reason_required
    if needs_reason and not (request.note or request.output.get("reasons")):
        return (
            ErrorType.OUTPUT_INVALID,
            f"outcome {request.outcome!r} needs a reason: give `note` or `output.reasons`",
        )
    if isinstance(step, HumanStep):
        field = step.outcome_field
        if field is not None and request.output.get(field) != request.outcome:
            return (
                ErrorType.OUTPUT_INVALID,
                f"output.{field} must be the outcome {request.outcome!r} "
                f"(it decides which step follows), not {request.output.get(field)!r}",
            )
        wrong = date_rule_problems(step.date_rules, request.output, outputs, today)
        if wrong:
            return ErrorType.OUTPUT_INVALID, "output: " + "; ".join(wrong)
    return None
