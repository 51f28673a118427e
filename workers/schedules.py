"""The Temporal Schedules that run housekeeping on a worker's task queue: the lease sweeper (every
minute), the notification dispatcher (every 30 seconds) and the engagement start reconciler (every
minute).

Created (or brought up to date) when a worker starts: that is where the task queue is known and
Temporal is reachable, and it needs no separate deploy step. Many workers starting at once is fine:
the schedule ids are fixed per task queue, so the losers of the create race update the same ones.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.housekeeping import (
    LEASE_SWEEPER_WORKFLOW,
    NOTIFICATION_DISPATCHER_WORKFLOW,
    START_RECONCILER_WORKFLOW,
    DeliverNotificationsInput,
    ExpireLeasesInput,
    ReconcileStartsInput,
)

log = structlog.get_logger(__name__)


def _every(
    workflow: str, arg: BaseModel, run_id: str, task_queue: str, every: timedelta
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            workflow,
            arg,
            id=run_id,
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=5),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A run still going when the next is due: skip, never pile up.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def housekeeping(task_queue: str) -> dict[str, Schedule]:
    """Schedule id -> schedule, for one task queue."""
    return {
        f"lease-sweeper-{task_queue}": _every(
            LEASE_SWEEPER_WORKFLOW,
            ExpireLeasesInput(),
            f"lease-sweeper-run-{task_queue}",
            task_queue,
            timedelta(minutes=1),
        ),
        f"notification-dispatcher-{task_queue}": _every(
            NOTIFICATION_DISPATCHER_WORKFLOW,
            DeliverNotificationsInput(),
            f"notification-dispatcher-run-{task_queue}",
            task_queue,
            timedelta(seconds=30),
        ),
        f"start-reconciler-{task_queue}": _every(
            START_RECONCILER_WORKFLOW,
            ReconcileStartsInput(),
            f"start-reconciler-run-{task_queue}",
            task_queue,
            timedelta(minutes=1),
        ),
    }


async def ensure_schedule(client: Client, schedule_id: str, wanted: Schedule) -> str:
    """Create the schedule, or update it to the current definition; returns its id."""
    try:
        await client.create_schedule(schedule_id, wanted)
        log.info("schedule.created", schedule_id=schedule_id)
    except ScheduleAlreadyRunningError:

        def _update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(schedule_id).update(_update)
    return schedule_id


async def ensure_housekeeping_schedules(client: Client, task_queue: str) -> list[str]:
    return [
        await ensure_schedule(client, sid, wanted)
        for sid, wanted in housekeeping(task_queue).items()
    ]
