"""Open wait steps: the rows an external event resolves."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import TaskStatus
from store.models import Task


async def waiting_for(
    session: AsyncSession, engagement_id: uuid.UUID, event_type: str, item: int | None
) -> Sequence[Task]:
    """The engagement's open waits that accept `event_type` (one fan-out item's, if given)."""
    query = select(Task).where(
        Task.engagement_id == engagement_id,
        Task.status == TaskStatus.WAITING,
        Task.outcomes.contains([event_type]),
    )
    if item is not None:
        query = query.where(Task.item == item)
    return (await session.execute(query.order_by(Task.item, Task.created_at))).scalars().all()
