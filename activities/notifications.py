"""Push SLA alerts from the outbox to the configured webhook, signed, at least once.

An alert carries ids, the step, the threshold and the due time: never a title, input or output,
since webhook receivers (chat bridges, pagers) sit outside the PHI boundary; a person follows the
ids into the console. Deliveries follow Standard Webhooks (https://www.standardwebhooks.com/):
`webhook-id` (the same on every retry: receivers drop repeats by it), `webhook-timestamp` and
`webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), so a receiver
verifies with any Standard Webhooks library and rejects replays older than its tolerance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosmtplib
import httpx
import structlog
from standardwebhooks import Webhook
from temporalio import activity

from activities.email_alerts import SmtpMailer, alert_mail, digest_mail
from core.settings import Settings
from domain.housekeeping import (
    ACT_DELIVER_NOTIFICATIONS,
    DeliverNotificationsInput,
    DeliverNotificationsResult,
)
from store.db import SessionFactory
from store.models import Notification
from store.repositories import email_alerts, outbox

log = structlog.get_logger(__name__)

MAX_BACKOFF = timedelta(hours=1)
MAX_BATCHES = 10  # bounds one run; a larger backlog is drained by the next runs


def signing_key(secret: str) -> Webhook:
    """A `whsec_<base64>` secret (the spec's form) is decoded; any other string is used as its
    UTF-8 bytes, which a receiver's library takes as `whsec_` + base64 of the same string."""
    return Webhook(secret if secret.startswith("whsec_") else secret.encode())


def alert_body(row: Notification) -> dict[str, Any]:
    """The spec's envelope: the event type, when it happened, and the alert (ids only)."""
    return {
        "type": row.kind,
        "timestamp": row.created_at.isoformat(),
        "data": _alert(row),
    }


def _alert(row: Notification) -> dict[str, Any]:
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
        self._url, self._timeout = url, timeout
        self._signer = signing_key(secret) if secret else None

    async def send(self, client: httpx.AsyncClient, row: Notification) -> None:
        """Raises on a network error or a non-2xx answer."""
        body = json.dumps(alert_body(row), separators=(",", ":"))
        message_id = f"msg_{row.id}"  # stable across retries: the receiver's dedupe key
        sent_at = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
        }
        if self._signer is not None:
            headers["webhook-signature"] = self._signer.sign(message_id, sent_at, body)
        response = await client.post(
            self._url, content=body.encode(), headers=headers, timeout=self._timeout
        )
        response.raise_for_status()


def webhook_sender(settings: Settings) -> WebhookSender | None:
    if not settings.notify_webhook_url:
        return None
    return WebhookSender(settings.notify_webhook_url, settings.notify_webhook_secret)


@dataclass(frozen=True)
class EmailChannel:
    mailer: SmtpMailer
    public_url: str
    digest_hour_utc: int = 12


class NotificationActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        sender: WebhookSender | None,
        retry_base_seconds: float,
        email: EmailChannel | None = None,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._retry_base = retry_base_seconds
        self._email = email

    @activity.defn(name=ACT_DELIVER_NOTIFICATIONS)
    async def deliver_notifications(
        self, params: DeliverNotificationsInput
    ) -> DeliverNotificationsResult:
        """Each channel on its own: the webhook (when configured), then email (when SMTP is)."""
        result = DeliverNotificationsResult()
        if self._sender is not None:
            await self._push(params, result)
        if self._email is not None:
            await self._mail(params, self._email, result)
            await self._digests(self._email, result)
        if result.emailed or result.email_failed or result.digests:
            log.info(
                "notifications.emailed",
                emailed=result.emailed,
                failed=result.email_failed,
                digests=result.digests,
            )
        return result

    async def _push(
        self, params: DeliverNotificationsInput, result: DeliverNotificationsResult
    ) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(MAX_BATCHES):
                # The batch's rows stay locked (SKIP LOCKED) until its outcomes commit.
                async with self._sessions.begin() as session:
                    rows = await outbox.due(session, outbox.WEBHOOK, params.batch)
                    for row in rows:
                        if not await self._deliver(session, client, row, result):
                            break  # the receiver is struggling: the next run tries again
                if result.failed or len(rows) < params.batch:
                    break
        if result.delivered or result.failed:
            log.info("notifications.pushed", delivered=result.delivered, failed=result.failed)

    def _retry_at(self, attempts: int) -> datetime:
        backoff = timedelta(seconds=self._retry_base * 2**attempts)
        return datetime.now(UTC) + min(backoff, MAX_BACKOFF)

    async def _mail(
        self,
        params: DeliverNotificationsInput,
        email: EmailChannel,
        result: DeliverNotificationsResult,
    ) -> None:
        for _ in range(MAX_BATCHES):
            async with self._sessions.begin() as session:
                rows = await outbox.due(session, outbox.EMAIL, params.batch)
                for row in rows:
                    to = await email_alerts.recipients(session, row)
                    if to:
                        try:
                            await email.mailer.send(alert_mail(row, to, email.public_url))
                        except (aiosmtplib.SMTPException, OSError) as error:
                            await outbox.mark_failed(
                                session,
                                outbox.EMAIL,
                                row.id,
                                f"{type(error).__name__}: {error}",
                                self._retry_at(row.email_attempts),
                            )
                            result.email_failed += 1
                            break  # the server is struggling: the next run tries again
                        result.emailed += 1
                    await outbox.mark_done(session, outbox.EMAIL, row.id)  # nobody wants it: done
            if result.email_failed or len(rows) < params.batch:
                break

    async def _digests(self, email: EmailChannel, result: DeliverNotificationsResult) -> None:
        now = datetime.now(UTC)
        if now.hour < email.digest_hour_utc:
            return
        today = now.date()
        async with self._sessions.begin() as session:
            for digest in await email_alerts.digests_due(session, today):
                try:
                    await email.mailer.send(digest_mail(digest, email.public_url, str(today)))
                except (aiosmtplib.SMTPException, OSError):
                    result.email_failed += 1
                    return  # the rest wait for the next run (their day is not marked)
                await email_alerts.mark_digest_sent(session, digest.user_id, today)
                result.digests += 1

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
            retry_at = self._retry_at(row.attempts)
            await outbox.mark_failed(session, outbox.WEBHOOK, row.id, _describe(error), retry_at)
            result.failed += 1
            return False
        await outbox.mark_done(session, outbox.WEBHOOK, row.id)
        result.delivered += 1
        return True


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"webhook answered {error.response.status_code}"
    return f"{type(error).__name__}: {error}"
