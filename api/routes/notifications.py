"""SLA alerts in-app: warnings, breaches and escalations addressed to the caller's role.

Managers (and admins) see every firm's; a partner sees their firm's only. Clients poll with
`after=<last id seen>`; the same alerts go to the webhook when one is configured
(activities/notifications.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from store.repositories import notifications

router = APIRouter(prefix="/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    id: int
    kind: str
    created_at: datetime
    firm_id: uuid.UUID
    engagement_id: uuid.UUID | None
    task_id: uuid.UUID | None
    detail: dict[str, Any]
    pushed: bool  # accepted by the webhook


@router.get("", response_model=list[NotificationOut])
async def list_notifications(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_READ))],
    after: Annotated[int, Query(ge=0, description="the last id you saw")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    rows = await notifications.list_for(
        session, principal.scope, principal.role, after=after, limit=limit
    )
    return [
        NotificationOut(
            id=row.id,
            kind=row.kind,
            created_at=row.created_at,
            firm_id=row.firm_id,
            engagement_id=row.engagement_id,
            task_id=row.task_id,
            detail=row.payload,
            pushed=row.delivered_at is not None,
        )
        for row in rows
    ]
