"""Delivery bookkeeping of the notification outbox, one set of columns per channel.

Each channel (the webhook, email) keeps on every outbox row when it delivered the alert, how
often it tried, when it may try again and its last error. The dispatcher takes a batch with SKIP
LOCKED, so two dispatchers never push the same alert at once; a delivery that fails stays due
with its error and a later attempt time (at-least-once delivery).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from store.models import Notification


@dataclass(frozen=True)
class Channel:
    """The four columns one delivery channel keeps on each outbox row."""

    done_at: InstrumentedAttribute[Any]
    attempts: InstrumentedAttribute[Any]
    next_attempt_at: InstrumentedAttribute[Any]
    last_error: InstrumentedAttribute[Any]


WEBHOOK = Channel(
    Notification.delivered_at,
    Notification.attempts,
    Notification.next_attempt_at,
    Notification.last_error,
)
EMAIL = Channel(
    Notification.emailed_at,
    Notification.email_attempts,
    Notification.email_next_attempt_at,
    Notification.email_last_error,
)


async def due(session: AsyncSession, channel: Channel, limit: int) -> Sequence[Notification]:
    """Rows this channel has not delivered and may try now, oldest first, locked (SKIP LOCKED)."""
    query = (
        select(Notification)
        .where(
            channel.done_at.is_(None),
            or_(channel.next_attempt_at.is_(None), channel.next_attempt_at <= func.now()),
        )
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def mark_done(session: AsyncSession, channel: Channel, notification_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            {
                channel.done_at: func.now(),
                channel.attempts: channel.attempts + 1,
                channel.next_attempt_at: None,
                channel.last_error: None,
            }
        )
    )


async def mark_failed(
    session: AsyncSession,
    channel: Channel,
    notification_id: int,
    error: str,
    retry_at: datetime,
) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            {
                channel.attempts: channel.attempts + 1,
                channel.next_attempt_at: retry_at,
                channel.last_error: error[:500],
            }
        )
    )
