"""Engagements and their timelines (the read model of the engagement workflows)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import EngagementStatus
from store.models import Engagement, EngagementEvent
from store.scope import Scope

CLOSED = (EngagementStatus.COMPLETED, EngagementStatus.CANCELLED, EngagementStatus.FAILED)


async def create(
    session: AsyncSession,
    *,
    engagement_id: uuid.UUID,
    firm_id: uuid.UUID,
    template_key: str,
    template_version: int,
    title: str,
    matter_ref: str,
    priority: str,
    inputs: dict[str, Any],
    court_deadline: datetime | None,
    workflow_id: str,
    created_by: uuid.UUID | None,
) -> Engagement:
    engagement = Engagement(
        id=engagement_id,
        firm_id=firm_id,
        template_key=template_key,
        template_version=template_version,
        title=title,
        matter_ref=matter_ref,
        priority=priority,
        status=EngagementStatus.RUNNING,
        inputs=inputs,
        court_deadline=court_deadline,
        workflow_id=workflow_id,
        created_by=created_by,
    )
    session.add(engagement)
    await session.flush()
    return engagement


async def get(session: AsyncSession, engagement_id: uuid.UUID, scope: Scope) -> Engagement | None:
    query = select(Engagement).where(
        Engagement.id == engagement_id, scope.filter(Engagement.firm_id)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_visible(
    session: AsyncSession,
    scope: Scope,
    *,
    firm_id: uuid.UUID | None = None,
    status: str | None = None,
    template: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Engagement], int]:
    where = [scope.filter(Engagement.firm_id)]
    if firm_id is not None:
        where.append(Engagement.firm_id == firm_id)
    if status is not None:
        where.append(Engagement.status == status)
    if template is not None:
        where.append(Engagement.template_key == template)
    total = (
        await session.execute(select(func.count()).where(*where).select_from(Engagement))
    ).scalar_one()
    query = (
        select(Engagement)
        .where(*where)
        .order_by(Engagement.created_at.desc(), Engagement.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.execute(query)).scalars().all(), int(total)


async def set_status(
    session: AsyncSession,
    engagement_id: uuid.UUID,
    status: str,
    current_step: str | None,
) -> None:
    closed_at = func.now() if status in CLOSED else None
    await session.execute(
        update(Engagement)
        .where(Engagement.id == engagement_id)
        .values(
            status=status, current_step=current_step, updated_at=func.now(), closed_at=closed_at
        )
    )


async def set_hold(session: AsyncSession, engagement_id: uuid.UUID, on_hold: bool) -> None:
    status = EngagementStatus.ON_HOLD if on_hold else EngagementStatus.RUNNING
    await session.execute(
        update(Engagement)
        .where(Engagement.id == engagement_id, Engagement.status.in_(["running", "on_hold"]))
        .values(status=status, updated_at=func.now())
    )


async def set_priority(session: AsyncSession, engagement_id: uuid.UUID, priority: str) -> None:
    await session.execute(
        update(Engagement)
        .where(Engagement.id == engagement_id)
        .values(priority=priority, updated_at=func.now())
    )


async def set_current_step(session: AsyncSession, engagement_id: uuid.UUID, step_id: str) -> None:
    await session.execute(
        update(Engagement)
        .where(Engagement.id == engagement_id)
        .values(current_step=step_id, updated_at=func.now())
    )


async def delete(session: AsyncSession, engagement_id: uuid.UUID) -> None:
    engagement = await session.get(Engagement, engagement_id)
    if engagement is not None:
        await session.delete(engagement)


async def add_event(
    session: AsyncSession,
    *,
    key: str,
    engagement_id: uuid.UUID,
    firm_id: uuid.UUID,
    type_: str,
    step_id: str | None,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any],
    at: datetime,
) -> None:
    """Idempotent by `key`: a retried activity does not add the event twice."""
    await session.execute(
        insert(EngagementEvent)
        .values(
            key=key,
            engagement_id=engagement_id,
            firm_id=firm_id,
            type=type_,
            step_id=step_id,
            actor_id=actor_id,
            detail=detail,
            at=at,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )


async def timeline(session: AsyncSession, engagement_id: uuid.UUID) -> Sequence[EngagementEvent]:
    query = (
        select(EngagementEvent)
        .where(EngagementEvent.engagement_id == engagement_id)
        .order_by(EngagementEvent.at, EngagementEvent.id)
    )
    return (await session.execute(query)).scalars().all()


@dataclass(frozen=True)
class StuckRow:
    engagement_id: uuid.UUID
    firm_id: uuid.UUID
    title: str
    step_id: str | None
    since: datetime
    reason: str | None


async def stuck(session: AsyncSession, firm_id: uuid.UUID | None, limit: int) -> list[StuckRow]:
    """Engagements parked as stuck (a step raised), longest first, with the recorded reason."""
    reason = (
        select(EngagementEvent.detail["reason"].astext)
        .where(
            EngagementEvent.engagement_id == Engagement.id,
            EngagementEvent.type == "engagement.stuck",
        )
        .order_by(EngagementEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            Engagement.id,
            Engagement.firm_id,
            Engagement.title,
            Engagement.current_step,
            Engagement.updated_at,
            reason,
        )
        .where(Engagement.status == EngagementStatus.STUCK)
        .order_by(Engagement.updated_at)
        .limit(limit)
    )
    if firm_id is not None:
        query = query.where(Engagement.firm_id == firm_id)
    return [StuckRow(*row) for row in (await session.execute(query)).all()]
