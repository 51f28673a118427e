"""Who may work a task: the one rule, as a pure function.

Every path that puts a task in someone's hands asks it: the workflow's completion validator, the
claim and complete routes, a manager's assignment and an SLA escalation's reassignment. The claim
query in `store/repositories/tasks.py` is the same rule in SQL (it must pick rows without loading
them); a property test holds the two together (tests/queues/test_eligibility_rule.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.enums import Role
from domain.errors import ErrorType


@dataclass(frozen=True)
class TaskFacts:
    """What the rule reads about a task."""

    kind: str  # human | approval
    firm_id: str
    skill: str | None = None
    excluded_user_ids: Collection[str] = ()  # separation of duties: who did a checked step
    # The queue's own requirement; None when the caller does not know the queue's settings
    # (the workflow: queue settings live in PostgreSQL and are enforced at claim time).
    queue_skill: str | None = None


@dataclass(frozen=True)
class WorkerFacts:
    """What the rule reads about the person."""

    user_id: str
    role: Role
    skills: Collection[str] = ()
    firm_id: str | None = None


@dataclass(frozen=True)
class Refusal:
    type: ErrorType
    reason: str


def refusal(task: TaskFacts, worker: WorkerFacts) -> Refusal | None:
    """Why `worker` may not work `task`, or None when they may."""
    if worker.role == Role.ADMIN:
        return Refusal(ErrorType.FORBIDDEN, "administrators do not work tasks")
    if worker.user_id in task.excluded_user_ids:
        return Refusal(
            ErrorType.SEPARATION_OF_DUTIES,
            "separation of duties: this person did an earlier step that this step checks",
        )
    # Attorney gates (ABA Model Rule 5.3: a lawyer supervises and signs off non-lawyer work).
    if task.kind == "approval":
        if worker.role != Role.PARTNER or worker.firm_id != task.firm_id:
            return Refusal(
                ErrorType.APPROVER_NOT_ALLOWED,
                "only a partner of the engagement's firm may take an approval",
            )
    elif worker.role == Role.PARTNER:
        return Refusal(ErrorType.FORBIDDEN, "partners take approval tasks only")
    # Skills apply to every kind: a queue's requirement holds for approvals too.
    if task.skill and task.skill not in worker.skills:
        return Refusal(ErrorType.FORBIDDEN, f"this task needs the skill {task.skill!r}")
    if task.queue_skill and task.queue_skill not in worker.skills:
        return Refusal(
            ErrorType.FORBIDDEN, f"this task's queue needs the skill {task.queue_skill!r}"
        )
    return None
