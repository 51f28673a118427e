"""Messages of the housekeeping workflows that Temporal Schedules run on every task queue: the
lease sweeper (returns lapsed leases to their queues), the notification dispatcher (pushes SLA
alerts to the webhook) and the start reconciler (finishes engagement creates whose workflow start
was never confirmed).

Stable wire names (never rename them); one model per message for the pydantic data converter.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

LEASE_SWEEPER_WORKFLOW = "LeaseSweeper"
ACT_EXPIRE_LEASES = "expire_leases"
NOTIFICATION_DISPATCHER_WORKFLOW = "NotificationDispatcher"
ACT_DELIVER_NOTIFICATIONS = "deliver_notifications"
START_RECONCILER_WORKFLOW = "EngagementStartReconciler"
ACT_RECONCILE_STARTS = "reconcile_engagement_starts"


class ExpireLeasesInput(BaseModel):
    batch: int = Field(default=500, ge=1, le=10_000)


class ExpireLeasesResult(BaseModel):
    returned: int = 0
    task_ids: list[str] = Field(default_factory=list)


class DeliverNotificationsInput(BaseModel):
    batch: int = Field(default=100, ge=1, le=1000)


class DeliverNotificationsResult(BaseModel):
    delivered: int = 0
    failed: int = 0
    emailed: int = 0  # alerts mailed (each to all who want it), and digests
    email_failed: int = 0
    digests: int = 0


class ReconcileStartsInput(BaseModel):
    # Well past a create's own wait for the start (DOCKETFLOW_START_TIMEOUT_SECONDS, 10 s by
    # default), so a create still in flight finishes itself; were both to act, they would still
    # make one workflow (same id, the existing run is returned).
    grace_seconds: int = Field(default=120, ge=0)
    batch: int = Field(default=100, ge=1, le=1000)


class ReconcileStartsResult(BaseModel):
    confirmed: int = 0  # Temporal had the workflow (only the start's answer was lost)
    started: int = 0  # no workflow: started from the input stored with the row
    failed: int = 0  # left for the next run
    engagement_ids: list[str] = Field(default_factory=list)  # confirmed or started, first 100
