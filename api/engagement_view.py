"""Assembles an engagement's step list and timeline from the read model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from api.schemas import FanoutItemOut, StepOut, TimelineEntry
from domain.enums import StepStatus, TaskStatus
from domain.templates import FanoutStep, Template
from sla import sla_state
from store.models import Engagement, EngagementEvent, Task

_TASK_STEP_STATUS = {
    TaskStatus.OPEN: StepStatus.ACTIVE,
    TaskStatus.CLAIMED: StepStatus.ACTIVE,
    TaskStatus.WAITING: StepStatus.ACTIVE,
    TaskStatus.COMPLETED: StepStatus.COMPLETED,
    TaskStatus.CANCELLED: StepStatus.SKIPPED,
}


def task_sla_state(task: Task, now: datetime) -> str | None:
    """The state at `now` from the row's instants (the workflow's clock also writes it)."""
    if task.due_at is None:
        return None
    if task.sla_state == "paused" and task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED):
        return "paused"
    return sla_state(
        task.due_at,
        now,
        warn_at_instant=task.warn_at,
        completed_at=task.completed_at if task.status == TaskStatus.COMPLETED else None,
    )


def steps_of(
    engagement: Engagement,
    template: Template,
    tasks: Sequence[Task],
    events: Sequence[EngagementEvent],
    now: datetime,
) -> list[StepOut]:
    latest_task: dict[str, Task] = {}
    latest_item: dict[int, Task] = {}  # fan-out items: each item's newest task
    visits: dict[str, int] = {}
    for row in tasks:  # ordered by creation: the last one per step wins
        if row.item:
            latest_item[row.item] = row
            continue
        latest_task[row.step_id] = row
        visits[row.step_id] = max(visits.get(row.step_id, 0), row.visit)
    finished = {e.step_id for e in events if e.type == "step.completed" and e.step_id}
    for event in events:
        if event.type == "step.completed" and event.step_id:
            visits[event.step_id] = visits.get(event.step_id, 0) + 1

    steps: list[StepOut] = []
    for step in template.steps:
        task = latest_task.get(step.id)
        is_current = engagement.status == "running" and engagement.current_step == step.id
        if task is not None:
            status = _TASK_STEP_STATUS[TaskStatus(task.status)]
        elif is_current:
            status = StepStatus.ACTIVE
        elif step.id in finished:
            status = StepStatus.COMPLETED
        else:
            status = StepStatus.PENDING
        waiting_for = (
            list(task.outcomes) if task is not None and task.status == TaskStatus.WAITING else []
        )
        items = (
            [
                FanoutItemOut(
                    item=number,
                    step_id=row.step_id,
                    status=row.status,
                    task_id=row.id,
                    assignee_id=row.assignee_id,
                    waiting_for=list(row.outcomes) if row.status == TaskStatus.WAITING else [],
                )
                for number, row in sorted(latest_item.items())
            ]
            if isinstance(step, FanoutStep)
            else []
        )
        steps.append(
            StepOut(
                id=step.id,
                kind=step.kind,
                name=step.title,
                status=status,
                visits=visits.get(step.id, 0),
                task_id=task.id if task else None,
                assignee_id=task.assignee_id if task else None,
                waiting_for=waiting_for,
                sla_state=task_sla_state(task, now) if task else None,
                due_at=task.due_at if task else None,
                items=items,
            )
        )
    return steps


def timeline_of(events: Sequence[EngagementEvent]) -> list[TimelineEntry]:
    return [
        TimelineEntry(at=e.at, type=e.type, step_id=e.step_id, actor_id=e.actor_id, detail=e.detail)
        for e in events
    ]
