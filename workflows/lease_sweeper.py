"""LeaseSweeper: run by a Temporal Schedule every minute, returns lapsed leases to their queues.

A schedule rather than a cron on one machine: Temporal runs it once per minute whichever worker is
alive, skips a run while the previous one is still going, and keeps its history.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.leases import (
        ACT_EXPIRE_LEASES,
        LEASE_SWEEPER_WORKFLOW,
        ExpireLeasesInput,
        ExpireLeasesResult,
    )


@workflow.defn(name=LEASE_SWEEPER_WORKFLOW)
class LeaseSweeperWorkflow:
    @workflow.run
    async def run(self, params: ExpireLeasesInput) -> ExpireLeasesResult:
        result: ExpireLeasesResult = await workflow.execute_activity(
            ACT_EXPIRE_LEASES,
            params,
            result_type=ExpireLeasesResult,
            start_to_close_timeout=timedelta(seconds=50),
            # The next scheduled run is a minute away: retry briefly, then let it take over.
            retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1)),
        )
        return result
