"""Queues: the board (depth, claimed, oldest, at risk, per-clerk load) and queue settings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import Request
from store.repositories import audit, queues
from store.repositories.queues import QueueBoard

router = APIRouter(prefix="/queues", tags=["queues"])


class ClerkLoadOut(BaseModel):
    user_id: uuid.UUID
    username: str
    held: int


class QueueOut(BaseModel):
    name: str
    lease_minutes: int
    wip_limit: int | None
    required_skill: str | None
    at_risk_minutes: int
    depth: int = Field(description="open tasks waiting to be claimed")
    claimed: int
    oldest_open_at: datetime | None
    oldest_age_seconds: float | None
    at_risk: int = Field(description="live tasks due within `at_risk_minutes`")
    breached: int = Field(description="live tasks past their due time")
    load: list[ClerkLoadOut]


class QueueSettingsIn(Request):
    lease_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    wip_limit: int | None = Field(default=None, ge=1, le=100_000)
    required_skill: str | None = Field(default=None, min_length=1, max_length=64)
    at_risk_minutes: int | None = Field(default=None, ge=1, le=30 * 24 * 60)


def _out(board: QueueBoard, now: datetime) -> QueueOut:
    oldest = board.oldest_open_at
    return QueueOut(
        name=board.name,
        lease_minutes=board.lease_minutes,
        wip_limit=board.wip_limit,
        required_skill=board.required_skill,
        at_risk_minutes=board.at_risk_minutes,
        depth=board.depth,
        claimed=board.claimed,
        oldest_open_at=oldest,
        oldest_age_seconds=round((now - oldest).total_seconds(), 1) if oldest else None,
        at_risk=board.at_risk,
        breached=board.breached,
        load=[
            ClerkLoadOut(user_id=c.user_id, username=c.username, held=c.held) for c in board.load
        ],
    )


@router.get("", response_model=list[QueueOut])
async def list_queues(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_READ))],
) -> list[QueueOut]:
    now = datetime.now(UTC)
    return [_out(b, now) for b in await queues.board(session, principal.scope)]


@router.patch("/{name}", response_model=QueueOut)
async def update_queue(
    name: str,
    body: QueueSettingsIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.QUEUES_MANAGE))],
) -> QueueOut:
    """Change lease length, WIP limit, required skill or warning window; `null` clears a limit."""
    values = body.model_dump(exclude_unset=True)
    if "lease_minutes" in values and values["lease_minutes"] is None:
        raise HTTPException(status_code=422, detail="lease_minutes cannot be cleared")
    if "at_risk_minutes" in values and values["at_risk_minutes"] is None:
        raise HTTPException(status_code=422, detail="at_risk_minutes cannot be cleared")
    if await queues.update_settings(session, name, values) is None:
        raise HTTPException(status_code=404, detail=f"no queue {name!r}")
    await audit.record(
        session,
        principal.audit_record("queue.updated", "queue", name, detail=values),
    )
    board = next(b for b in await queues.board(session, principal.scope) if b.name == name)
    return _out(board, datetime.now(UTC))
