"""Push SLA alerts from the outbox to the configured webhook, signed, at least once.

An alert carries ids, the step, the threshold and the due time: never a title, input or output,
since webhook receivers (chat bridges, pagers) sit outside the PHI boundary; a person follows the
ids into the console. Receivers check `X-Docketflow-Signature` (`t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`, the Stripe scheme: the timestamp defeats replays) and drop repeats by
`X-Docketflow-Delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from temporalio import activity

from core.settings import Settings
from domain.housekeeping import (
    ACT_DELIVER_NOTIFICATIONS,
    DeliverNotificationsInput,
    DeliverNotificationsResult,
)
from store.db import SessionFactory
from store.models import Notification
from store.repositories import notifications

log = structlog.get_logger(__name__)

MAX_BACKOFF = timedelta(hours=1)
MAX_BATCHES = 10  # bounds one run; a larger backlog is drained by the next runs


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def alert_body(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "created_at": row.created_at.isoformat(),
        "firm_id": str(row.firm_id),
        "engagement_id": str(row.engagement_id) if row.engagement_id else None,
        "task_id": str(row.task_id) if row.task_id else None,
        "recipients": row.recipients,
        "detail": row.payload,
    }


class WebhookSender:
    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        self._url, self._secret, self._timeout = url, secret, timeout

    async def send(self, client: httpx.AsyncClient, row: Notification) -> None:
        """Raises on a network error or a non-2xx answer."""
        body = json.dumps(alert_body(row), separators=(",", ":")).encode()
        response = await client.post(
            self._url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Docketflow-Delivery": row.dedupe_key,
                "X-Docketflow-Signature": signature(self._secret, int(time.time()), body),
            },
            timeout=self._timeout,
        )
        response.raise_for_status()


def webhook_sender(settings: Settings) -> WebhookSender | None:
    if not settings.notify_webhook_url:
        return None
    return WebhookSender(settings.notify_webhook_url, settings.notify_webhook_secret)


class NotificationActivities:
    def __init__(
        self, sessions: SessionFactory, sender: WebhookSender | None, retry_base_seconds: float
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._retry_base = retry_base_seconds

    @activity.defn(name=ACT_DELIVER_NOTIFICATIONS)
    async def deliver_notifications(
        self, params: DeliverNotificationsInput
    ) -> DeliverNotificationsResult:
        result = DeliverNotificationsResult()
        if self._sender is None:
            return result  # no webhook configured: alerts are read in-app only
        async with httpx.AsyncClient() as client:
            for _ in range(MAX_BATCHES):
                # The batch's rows stay locked (SKIP LOCKED) until its outcomes commit.
                async with self._sessions.begin() as session:
                    rows = await notifications.due_for_delivery(session, params.batch)
                    for row in rows:
                        if not await self._deliver(session, client, row, result):
                            break  # the receiver is struggling: the next run tries again
                if result.failed or len(rows) < params.batch:
                    break
        if result.delivered or result.failed:
            log.info("notifications.pushed", delivered=result.delivered, failed=result.failed)
        return result

    async def _deliver(
        self,
        session: Any,
        client: httpx.AsyncClient,
        row: Notification,
        result: DeliverNotificationsResult,
    ) -> bool:
        assert self._sender is not None
        try:
            await self._sender.send(client, row)
        except httpx.HTTPError as error:
            backoff = timedelta(seconds=self._retry_base * 2**row.attempts)
            retry_at = datetime.now(UTC) + min(backoff, MAX_BACKOFF)
            await notifications.mark_failed(session, row.id, _describe(error), retry_at)
            result.failed += 1
            return False
        await notifications.mark_delivered(session, row.id)
        result.delivered += 1
        return True


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"webhook answered {error.response.status_code}"
    return f"{type(error).__name__}: {error}"
