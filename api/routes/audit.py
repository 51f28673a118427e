"""The audit trail: who did what, when, to which engagement or task."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import AuditOut
from store.repositories import audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditOut])
async def list_audit(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    engagement_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    limit: int = Query(default=200, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> list[AuditOut]:
    rows = await audit.list_entries(
        session,
        principal.scope,
        engagement_id=engagement_id,
        task_id=task_id,
        limit=limit,
        offset=offset,
    )
    return [AuditOut.model_validate(r, from_attributes=True) for r in rows]
