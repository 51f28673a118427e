"""SLA alerts in-app: warnings, breaches and escalations addressed to the caller's role.

Managers (and admins) see every firm's; a partner sees their firm's only. Clients poll with
`after=<last id seen>`; the same alerts go to the webhook when one is configured
(activities/notifications.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, EmailStr, Field

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import Request
from store.repositories import audit, email_alerts, notifications

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


AlertKind = Literal["sla.breached", "sla.escalated", "task.assigned", "approval.waiting"]
ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)


class EmailPreferences(Request):
    """Which alerts reach you by email, and (partners) the daily digest of your firm's work."""

    email: EmailStr | None = Field(default=None, description="null: no email at all")
    alerts: list[AlertKind] = Field(default_factory=list, max_length=4)
    daily_digest: bool = False


@router.get("/preferences", response_model=EmailPreferences)
async def get_preferences(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.ME))],
) -> EmailPreferences:
    user = await email_alerts.preferences(session, principal.id)
    if user is None:
        raise HTTPException(status_code=404, detail="user not found")
    return EmailPreferences(
        email=user.email,
        alerts=[kind for kind in user.email_alerts if kind in ALERT_KINDS],
        daily_digest=user.email_digest,
    )


@router.put("/preferences", response_model=EmailPreferences)
async def set_preferences(
    body: EmailPreferences,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.ME))],
) -> EmailPreferences:
    kinds: list[str] = sorted(set(body.alerts))
    await email_alerts.set_preferences(session, principal.id, body.email, kinds, body.daily_digest)
    # The address is the user's own contact detail: the audit says it changed, not what it is.
    await audit.record(
        session,
        principal.audit_record(
            "user.email_preferences_changed",
            "user",
            str(principal.id),
            firm_id=principal.firm_id,
            detail={
                "email_set": body.email is not None,
                "alerts": kinds,
                "daily_digest": body.daily_digest,
            },
        ),
    )
    return EmailPreferences(email=body.email, alerts=kinds, daily_digest=body.daily_digest)


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
