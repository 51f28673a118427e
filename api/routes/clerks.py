"""Clerks' workload: availability, WIP limits, and redistributing an away clerk's tasks."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import Request, Text
from store.repositories import audit, queues, tasks
from store.repositories.queues import ClerkWorkload

router = APIRouter(prefix="/clerks", tags=["clerks"])

Availability = Literal["available", "away", "offline"]


class ClerkOut(BaseModel):
    user_id: uuid.UUID
    username: str
    role: str
    skills: list[str]
    availability: Availability
    wip_limit: int | None
    held: int = Field(description="tasks this clerk holds now")


class ClerkSettingsIn(Request):
    availability: Availability | None = None
    wip_limit: int | None = Field(default=None, ge=1, le=10_000)


class AvailabilityIn(Request):
    availability: Availability


class RedistributeIn(Request):
    reason: Text | None = Field(default=None, max_length=2000)


class RedistributeOut(BaseModel):
    user_id: uuid.UUID
    returned: list[uuid.UUID] = Field(description="tasks put back in their queues")


def _out(row: ClerkWorkload) -> ClerkOut:
    return ClerkOut(
        user_id=row.user_id,
        username=row.username,
        role=row.role,
        skills=row.skills,
        availability=row.availability,  # constrained to the three values by the API on write
        wip_limit=row.wip_limit,
        held=row.held,
    )


async def _one(session: SessionDep, user_id: uuid.UUID) -> ClerkOut:
    rows = await queues.workload(session, [user_id])
    if not rows:
        raise HTTPException(status_code=404, detail="no such clerk")
    return _out(rows[0])


async def _audit_user(
    session: SessionDep, principal: Principal, user_id: uuid.UUID, action: str, **detail: object
) -> None:
    await audit.record(
        session,
        principal.audit_record(action, "user", str(user_id), detail=detail),
    )


@router.get("", response_model=list[ClerkOut])
async def list_clerks(
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.QUEUES_MANAGE))],
) -> list[ClerkOut]:
    return [_out(row) for row in await queues.workload(session)]


@router.put("/me/availability", response_model=ClerkOut)
async def set_my_availability(
    body: AvailabilityIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> ClerkOut:
    """A clerk says whether they are taking work (away clerks get no assignments)."""
    await queues.set_clerk(session, principal.id, {"availability": body.availability})
    await _audit_user(
        session, principal, principal.id, "user.availability", availability=body.availability
    )
    return await _one(session, principal.id)


@router.patch("/{user_id}", response_model=ClerkOut)
async def update_clerk(
    user_id: uuid.UUID,
    body: ClerkSettingsIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.QUEUES_MANAGE))],
) -> ClerkOut:
    """Set a clerk's availability and/or WIP limit (`wip_limit: null` removes it)."""
    values = body.model_dump(exclude_unset=True)
    if values.get("availability", "") is None:
        raise HTTPException(status_code=422, detail="availability cannot be cleared")
    await _one(session, user_id)
    if values:
        await queues.set_clerk(session, user_id, values)
        await _audit_user(session, principal, user_id, "user.workload_settings", **values)
    return await _one(session, user_id)


@router.post("/{user_id}/redistribute", response_model=RedistributeOut)
async def redistribute(
    user_id: uuid.UUID,
    body: RedistributeIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_ASSIGN))],
) -> RedistributeOut:
    """Put every task this clerk holds back in its queue (their claims are fenced off)."""
    await _one(session, user_id)
    returned = await tasks.return_all_held_by(session, user_id)
    for item in returned:
        await audit.record(
            session,
            principal.audit_record(
                "task.redistributed",
                "task",
                str(item.task_id),
                engagement_id=item.engagement_id,
                firm_id=item.firm_id,
                detail={
                    "previous_assignee_id": str(user_id),
                    "generation": item.generation,
                    "reason": body.reason,
                },
            ),
        )
    return RedistributeOut(user_id=user_id, returned=[r.task_id for r in returned])
