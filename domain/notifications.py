"""Messages of the notification dispatcher: the workflow a Temporal Schedule runs, its activity.

Stable wire names (never rename them); one model per message for the pydantic data converter.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

NOTIFICATION_DISPATCHER_WORKFLOW = "NotificationDispatcher"
ACT_DELIVER_NOTIFICATIONS = "deliver_notifications"


class DeliverNotificationsInput(BaseModel):
    batch: int = Field(default=100, ge=1, le=1000)


class DeliverNotificationsResult(BaseModel):
    delivered: int = 0
    failed: int = 0
