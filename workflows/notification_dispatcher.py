"""NotificationDispatcher: run by a Temporal Schedule, pushes SLA alerts from the outbox.

Like the lease sweeper, a schedule rather than a cron on one machine: Temporal runs it whichever
worker is alive and skips a run while the previous one is still going.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.notifications import (
        ACT_DELIVER_NOTIFICATIONS,
        NOTIFICATION_DISPATCHER_WORKFLOW,
        DeliverNotificationsInput,
        DeliverNotificationsResult,
    )


@workflow.defn(name=NOTIFICATION_DISPATCHER_WORKFLOW)
class NotificationDispatcherWorkflow:
    @workflow.run
    async def run(self, params: DeliverNotificationsInput) -> DeliverNotificationsResult:
        result: DeliverNotificationsResult = await workflow.execute_activity(
            ACT_DELIVER_NOTIFICATIONS,
            params,
            result_type=DeliverNotificationsResult,
            start_to_close_timeout=timedelta(minutes=3),
            # Failed alerts keep their own backoff in the outbox; the next run picks them up.
            retry_policy=RetryPolicy(maximum_attempts=2, initial_interval=timedelta(seconds=1)),
        )
        return result
