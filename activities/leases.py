"""Lease expiry: tasks whose holder stopped heartbeating go back to their queue.

Idempotent: the update only touches rows still claimed with a lapsed lease (a retry finds none of
the rows it already returned), and each audit entry carries a dedupe key made of the task id and
the claim generation that lapsed, so a retried activity never writes it twice.
"""

from __future__ import annotations

import structlog
from temporalio import activity

from core import metrics
from domain.housekeeping import ACT_EXPIRE_LEASES, ExpireLeasesInput, ExpireLeasesResult
from store.db import SessionFactory
from store.repositories import audit, tasks
from store.repositories.audit import AuditRecord

log = structlog.get_logger(__name__)

# Bounds one activity run; a backlog larger than this is drained by the next runs.
MAX_BATCHES = 20


class LeaseActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def sweep(self, batch: int = 500) -> list[str]:
        """Return every lapsed task to its queue, one short transaction per batch."""
        returned: list[str] = []
        for _ in range(MAX_BATCHES):
            async with self._sessions.begin() as session:
                rows = await tasks.expire_leases(session, batch)
                for row in rows:
                    await audit.record(
                        session,
                        AuditRecord(
                            action="task.lease_expired",
                            object_type="task",
                            object_id=str(row.task_id),
                            actor_role="system",
                            engagement_id=row.engagement_id,
                            firm_id=row.firm_id,
                            detail={
                                "previous_assignee_id": (
                                    str(row.previous_assignee_id)
                                    if row.previous_assignee_id
                                    else None
                                ),
                                "generation": row.generation,
                                "queue": row.queue,
                            },
                            dedupe_key=f"lease-expired:{row.task_id}:{row.generation}",
                        ),
                    )
            for row in rows:  # counted once its batch has committed
                metrics.LEASE_EXPIRIES.labels(row.queue).inc()
            returned.extend(str(row.task_id) for row in rows)
            if len(rows) < batch:
                break
        if returned:
            log.info("leases.expired", count=len(returned))
        return returned

    @activity.defn(name=ACT_EXPIRE_LEASES)
    async def expire_leases(self, params: ExpireLeasesInput) -> ExpireLeasesResult:
        task_ids = await self.sweep(params.batch)
        return ExpireLeasesResult(returned=len(task_ids), task_ids=task_ids[:100])
