"""The audit log: who did what, to which object, for which firm."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEntry
from store.scope import Scope


@dataclass(frozen=True)
class AuditRecord:
    action: str
    object_type: str
    object_id: str
    actor_id: uuid.UUID | None = None
    actor_role: str | None = None
    engagement_id: uuid.UUID | None = None
    firm_id: uuid.UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    client_addr: str | None = None
    # Set by writers that may retry (activities): the second write of the same key is a no-op.
    dedupe_key: str | None = None


async def record(session: AsyncSession, entry: AuditRecord) -> None:
    values = {
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "engagement_id": entry.engagement_id,
        "firm_id": entry.firm_id,
        "detail": entry.detail,
        "request_id": entry.request_id,
        "client_addr": entry.client_addr,
        "dedupe_key": entry.dedupe_key,
    }
    statement = insert(AuditEntry).values(**values)
    if entry.dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(statement)


async def list_entries(
    session: AsyncSession,
    scope: Scope,
    *,
    engagement_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).where(scope.filter(AuditEntry.firm_id))
    if engagement_id is not None:
        query = query.where(AuditEntry.engagement_id == engagement_id)
    if task_id is not None:
        query = query.where(AuditEntry.object_type == "task", AuditEntry.object_id == str(task_id))
    query = query.order_by(AuditEntry.id).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()
