"""The Temporal Schedule that runs the lease sweeper every minute on a worker's task queue.

Created (or brought up to date) when a worker starts: that is where the task queue is known and
Temporal is reachable, and it needs no separate deploy step. Many workers starting at once is fine:
the schedule id is fixed per task queue, so the losers of the create race update the same one.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
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

from domain.leases import LEASE_SWEEPER_WORKFLOW, ExpireLeasesInput

log = structlog.get_logger(__name__)


def schedule_id(task_queue: str) -> str:
    return f"lease-sweeper-{task_queue}"


def lease_sweeper_schedule(task_queue: str, every: timedelta = timedelta(minutes=1)) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            LEASE_SWEEPER_WORKFLOW,
            ExpireLeasesInput(),
            id=f"lease-sweeper-run-{task_queue}",
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=2),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A sweep still running when the next is due: skip, never pile up.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_lease_sweeper_schedule(client: Client, task_queue: str) -> str:
    """Create the schedule, or update it to the current definition; returns its id."""
    wanted = lease_sweeper_schedule(task_queue)
    sid = schedule_id(task_queue)
    try:
        await client.create_schedule(sid, wanted)
        log.info("lease_sweeper.schedule_created", schedule_id=sid)
    except ScheduleAlreadyRunningError:

        def _update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(sid).update(_update)
    return sid
