"""The outbox's email channel: who gets an alert by email, and partners' daily digests.

Delivery bookkeeping (rows due, done, failed) is store/repositories/outbox.py's, as for webhooks.

Recipients are resolved when the mail goes out, not when the alert is written, so a user who
turns alerts off (or loses their account) stops getting them at once. An outbox row addresses
roles ("manager": managers and admins; "partner": that firm's partners) or one person
("user:<id>"); each user's `email_alerts` says which kinds they want.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Role
from store.models import Notification, User

USER_PREFIX = "user:"


async def recipients(session: AsyncSession, row: Notification) -> list[str]:
    """The addresses that want this alert, deduplicated and sorted."""
    audience: list[ColumnElement[bool]] = []
    if "manager" in row.recipients:
        audience.append(User.role.in_([Role.MANAGER.value, Role.ADMIN.value]))
    if "partner" in row.recipients:
        audience.append(and_(User.role == Role.PARTNER.value, User.firm_id == row.firm_id))
    people = [
        uuid.UUID(r.removeprefix(USER_PREFIX)) for r in row.recipients if r.startswith(USER_PREFIX)
    ]
    if people:
        audience.append(User.id.in_(people))
    if not audience:
        return []
    query = select(User.email).where(
        User.active.is_(True),
        User.email.is_not(None),
        User.email_alerts.contains([row.kind]),
        or_(*audience),
    )
    return sorted({email for email in (await session.execute(query)).scalars() if email})


@dataclass(frozen=True)
class Digest:
    user_id: uuid.UUID
    email: str
    firm_id: uuid.UUID
    open_tasks: int
    at_risk: int
    breached: int
    approvals_waiting: int


_FIRM_COUNTS = text(
    """
    SELECT count(*) FILTER (WHERE status IN ('open', 'claimed')) AS open_tasks,
           count(*) FILTER (WHERE status IN ('open', 'claimed') AND sla_state = 'at_risk')
               AS at_risk,
           count(*) FILTER (WHERE status IN ('open', 'claimed') AND due_at < now()) AS breached,
           count(*) FILTER (WHERE status = 'open' AND kind = 'approval') AS approvals_waiting
    FROM tasks WHERE firm_id = :firm_id AND status IN ('open', 'claimed')
    """
)


async def digests_due(session: AsyncSession, today: date) -> list[Digest]:
    """Partners who want a digest and have not had today's, locked until the caller commits."""
    partners = (
        await session.execute(
            select(User.id, User.email, User.firm_id)
            .where(
                User.role == Role.PARTNER.value,
                User.active.is_(True),
                User.email.is_not(None),
                User.email_digest.is_(True),
                User.firm_id.is_not(None),
                or_(User.digest_sent_on.is_(None), User.digest_sent_on < today),
            )
            .order_by(User.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    result = []
    for user_id, email, firm_id in partners:
        assert email is not None  # the query's own conditions
        assert firm_id is not None
        counts = (await session.execute(_FIRM_COUNTS, {"firm_id": firm_id})).one()
        result.append(Digest(user_id, email, firm_id, *(int(c) for c in counts)))
    return result


async def mark_digest_sent(session: AsyncSession, user_id: uuid.UUID, today: date) -> None:
    await session.execute(update(User).where(User.id == user_id).values(digest_sent_on=today))


async def preferences(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def set_preferences(
    session: AsyncSession, user_id: uuid.UUID, email: str | None, kinds: list[str], digest: bool
) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(email=email, email_alerts=kinds, email_digest=digest)
    )
