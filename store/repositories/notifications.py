"""The notification outbox as the in-app list reads it.

Rows are written by the SLA clocks (store/repositories/task_sla.notify); the webhook and email
channels deliver them through store/repositories/outbox.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Role
from store.models import Notification
from store.scope import Scope


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
