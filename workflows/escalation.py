"""SLA escalations are decided in the workflow: its state is the truth, activities only write.

Before, the threshold activity changed the task row alone: the workflow's idea of the task's
priority drifted from the row, and a `reassign` handed the task to a named user without asking
whether they may work it, and without a lease. Now the workflow keeps its open task's facts,
decides the change with the same rule as every other path (domain.eligibility) and sends the
decision to the activity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.eligibility import TaskFacts, WorkerFacts, refusal
    from domain.enums import Priority
    from domain.messages import LookupWorkerInput, SlaThresholdInput
    from sla import Threshold
    from workflows import calls

# Histories from before this change looked nobody up; they must replay unchanged.
REASSIGN_CHECKED = "reassign-escalation-checks-eligibility"


@dataclass
class OpenTask:
    """The workflow's view of the task it has open (what an escalation may change)."""

    task_id: str
    step_id: str
    kind: str
    queue: str
    skill: str | None
    priority: Priority
    excluded_user_ids: list[str] = field(default_factory=list)


def one_rung_up(priority: Priority) -> Priority:
    return Priority.from_rank(max(priority.rank - 1, 0))


async def decide(
    task: OpenTask, firm_id: str, threshold: Threshold, params: SlaThresholdInput
) -> SlaThresholdInput:
    """The threshold's activity input with the workflow's decision filled in."""
    if threshold.action == "raise_priority":
        task.priority = one_rung_up(task.priority)
        return params.model_copy(update={"priority": task.priority})
    if threshold.action == "move_queue" and threshold.queue:
        task.queue = threshold.queue
        return params
    if threshold.action == "reassign" and threshold.to and workflow.patched(REASSIGN_CHECKED):
        found = await calls.lookup_worker(
            LookupWorkerInput(username=threshold.to, queue=task.queue)
        )
        why_not: str | None = None
        if not found.found or found.user_id is None or found.role is None:
            why_not = f"no active user {threshold.to!r}"
        elif not found.available:
            why_not = f"{threshold.to} is not available"
        else:
            refused = refusal(
                TaskFacts(
                    kind=task.kind,
                    firm_id=firm_id,
                    skill=task.skill,
                    excluded_user_ids=task.excluded_user_ids,
                    queue_skill=found.queue_skill,
                ),
                WorkerFacts(
                    user_id=found.user_id,
                    role=found.role,
                    skills=found.skills,
                    firm_id=found.firm_id,
                ),
            )
            why_not = refused.reason if refused else None
        if why_not is not None:
            return params.model_copy(update={"refused": why_not})
        return params.model_copy(update={"assignee_id": found.user_id})
    return params
