"""The notification outbox as its readers see it: the webhook dispatcher and the in-app list.

Rows are written by the SLA clocks (store/repositories/task_sla.notify). The dispatcher takes a
batch with SKIP LOCKED, so two dispatchers never push the same alert at once; a delivery that
fails stays in the outbox with its error and a later attempt time (at-least-once delivery).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Role
from store.models import Notification
from store.scope import Scope


async def due_for_delivery(session: AsyncSession, limit: int) -> Sequence[Notification]:
    query = (
        select(Notification)
        .where(
            Notification.delivered_at.is_(None),
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= func.now()),
        )
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def mark_delivered(session: AsyncSession, notification_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            delivered_at=func.now(),
            attempts=Notification.attempts + 1,
            next_attempt_at=None,
            last_error=None,
        )
    )


async def mark_failed(
    session: AsyncSession, notification_id: int, error: str, retry_at: datetime
) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            attempts=Notification.attempts + 1, next_attempt_at=retry_at, last_error=error[:500]
        )
    )


async def list_for(
    session: AsyncSession, scope: Scope, role: Role, *, after: int, limit: int
) -> Sequence[Notification]:
    """Alerts addressed to the caller's role, within their firm scope, oldest first after `after`
    (a client polls with the last id it saw)."""
    audience = Role.MANAGER if role in (Role.ADMIN, Role.MANAGER) else role
    query = (
        select(Notification)
        .where(
            Notification.id > after,
            Notification.recipients.contains([audience.value]),
            scope.filter(Notification.firm_id),
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()
