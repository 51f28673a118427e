"""Housekeeping workflows, each run by a Temporal Schedule (workers/schedules.py) and each one
activity: the LeaseSweeper returns lapsed leases to their queues every minute; the
NotificationDispatcher pushes SLA alerts from the outbox every 30 seconds; the
EngagementStartReconciler finishes, every minute, engagement creates whose workflow start nobody
confirmed.

Schedules rather than a cron on one machine: Temporal runs them whichever worker is alive, skips a
run while the previous one is still going, and keeps their history. A failed run is retried
briefly; the next scheduled one takes over after that (their state lives in PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.housekeeping import (
        ACT_DELIVER_NOTIFICATIONS,
        ACT_EXPIRE_LEASES,
        ACT_RECONCILE_STARTS,
        LEASE_SWEEPER_WORKFLOW,
        NOTIFICATION_DISPATCHER_WORKFLOW,
        START_RECONCILER_WORKFLOW,
        DeliverNotificationsInput,
        DeliverNotificationsResult,
        ExpireLeasesInput,
        ExpireLeasesResult,
        ReconcileStartsInput,
        ReconcileStartsResult,
    )

R = TypeVar("R", bound=BaseModel)


async def _run_once(activity: str, params: BaseModel, result_type: type[R], seconds: int) -> R:
    result: R = await workflow.execute_activity(
        activity,
        params,
        result_type=result_type,
        start_to_close_timeout=timedelta(seconds=seconds),
        retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1)),
    )
    return result


@workflow.defn(name=LEASE_SWEEPER_WORKFLOW)
class LeaseSweeperWorkflow:
    @workflow.run
    async def run(self, params: ExpireLeasesInput) -> ExpireLeasesResult:
        return await _run_once(ACT_EXPIRE_LEASES, params, ExpireLeasesResult, seconds=50)


@workflow.defn(name=NOTIFICATION_DISPATCHER_WORKFLOW)
class NotificationDispatcherWorkflow:
    @workflow.run
    async def run(self, params: DeliverNotificationsInput) -> DeliverNotificationsResult:
        # Failed alerts keep their own backoff in the outbox: the next run picks them up.
        return await _run_once(
            ACT_DELIVER_NOTIFICATIONS, params, DeliverNotificationsResult, seconds=180
        )


@workflow.defn(name=START_RECONCILER_WORKFLOW)
class StartReconcilerWorkflow:
    @workflow.run
    async def run(self, params: ReconcileStartsInput) -> ReconcileStartsResult:
        # Each row costs at most two Temporal calls; the activity stops early if Temporal is down.
        return await _run_once(ACT_RECONCILE_STARTS, params, ReconcileStartsResult, seconds=120)
