"""Engagements and their timelines (the read model of the engagement workflows)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, null, select, update
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


async def reserve(
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
    start_input: dict[str, Any],
    request_hash: str,
) -> Engagement:
    """The engagement's row, inserted unless a create with the same id got there first (a retry,
    or a duplicate in flight: the insert then waits for that one's commit and does nothing).
    Unconfirmed until `confirm_started`; returns the row that holds, this one's or the other's."""
    await session.execute(
        insert(Engagement)
        .values(
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
            start_input=start_input,
            request_hash=request_hash,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    query = select(Engagement).where(Engagement.id == engagement_id)
    return (await session.execute(query)).scalar_one()


async def confirm_started(session: AsyncSession, engagement_id: uuid.UUID) -> bool:
    """Record that Temporal holds the engagement's workflow; True only for the one caller that
    confirmed it (the API's create, its retry, or the reconciler), who writes the audit entry."""
    confirmed = await session.execute(
        update(Engagement)
        .where(Engagement.id == engagement_id, Engagement.started_at.is_(None))
        # null(): a bare None would store JSON null in the JSONB column, not SQL NULL.
        .values(started_at=func.now(), start_input=null())
        .returning(Engagement.id)
    )
    return confirmed.scalar_one_or_none() is not None


def created_audit_key(engagement_id: uuid.UUID) -> str:
    """The dedupe key of an engagement's `engagement.created` audit entry: one per engagement,
    whoever confirms its start."""
    return f"engagement-created:{engagement_id}"


async def unconfirmed(
    session: AsyncSession, *, older_than: timedelta, limit: int
) -> Sequence[Engagement]:
    """Every firm's reserved rows whose start nobody confirmed within `older_than`, oldest first
    (the start reconciler's work: a system sweep, like lease expiry, not a tenant's view)."""
    query = (
        select(Engagement)
        .where(
            Engagement.started_at.is_(None),
            Engagement.start_input.is_not(None),
            Engagement.created_at < func.now() - older_than,
        )
        .order_by(Engagement.created_at)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def get(session: AsyncSession, engagement_id: uuid.UUID, scope: Scope) -> Engagement | None:
    query = select(Engagement).where(
        Engagement.id == engagement_id,
        scope.filter(Engagement.firm_id),
        scope.engagements(Engagement.id),
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
    # A reserved row Temporal has not confirmed is not (yet) a running engagement: it is shown
    # by id (as "starting") but not listed, until its create is retried or reconciled.
    where = [
        scope.filter(Engagement.firm_id),
        scope.engagements(Engagement.id),
        Engagement.started_at.is_not(None),
    ]
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


async def count_stuck(session: AsyncSession) -> int:
    query = select(func.count()).where(Engagement.status == EngagementStatus.STUCK)
    return int((await session.execute(query)).scalar_one())


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
