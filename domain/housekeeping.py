"""Messages of the housekeeping workflows that Temporal Schedules run on every task queue: the
lease sweeper (returns lapsed leases to their queues) and the notification dispatcher (pushes SLA
alerts to the webhook).

Stable wire names (never rename them); one model per message for the pydantic data converter.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

LEASE_SWEEPER_WORKFLOW = "LeaseSweeper"
ACT_EXPIRE_LEASES = "expire_leases"
NOTIFICATION_DISPATCHER_WORKFLOW = "NotificationDispatcher"
ACT_DELIVER_NOTIFICATIONS = "deliver_notifications"


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
