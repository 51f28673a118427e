"""Form drafts: the console saves what a user types on a task, so nothing typed is lost.

A draft is the user's own: only they read it, it outlives a lapsed or reassigned claim, and it is
discarded when they complete the task. Starting a draft and discarding it are audited; the saves
in between are not (one per pause in typing: they would bury the trail, and the completion that
follows records what was submitted).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel, Field, field_validator

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.routes.tasks import _audit, _visible
from api.schemas import Request
from store.repositories import task_drafts

router = APIRouter(prefix="/tasks", tags=["tasks"])

MAX_FIELDS = 200
MAX_VALUE = 20_000


class DraftIn(Request):
    fields: dict[str, str] = Field(
        max_length=MAX_FIELDS, description="form input name → the text typed, as typed"
    )

    @field_validator("fields")
    @classmethod
    def _bounded(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if len(name) > 200 or len(text) > MAX_VALUE:
                raise ValueError(
                    f"{name[:40]!r}: a draft keeps at most {MAX_VALUE} characters per input"
                )
        return value


class DraftOut(BaseModel):
    task_id: uuid.UUID
    fields: dict[str, str]
    saved_at: datetime


@router.get("/{task_id}/draft", response_model=DraftOut, responses={404: {}})
async def get_draft(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> DraftOut:
    task = await _visible(session, task_id, principal)
    draft = await task_drafts.get(session, task.id, principal.id)
    if draft is None:
        raise HTTPException(status_code=404, detail="no draft of yours on this task")
    return DraftOut(task_id=task.id, fields=draft.fields, saved_at=draft.saved_at)


@router.put("/{task_id}/draft", response_model=DraftOut)
async def save_draft(
    task_id: uuid.UUID,
    body: DraftIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> DraftOut:
    """Keep what you typed (any task you can see: a claim that lapsed keeps your draft)."""
    task = await _visible(session, task_id, principal)
    draft, started = await task_drafts.save(session, task, principal.id, body.fields)
    if started:
        await _audit(session, principal, task, "task.draft_started")
    return DraftOut(task_id=task.id, fields=draft.fields, saved_at=draft.saved_at)


@router.delete("/{task_id}/draft", status_code=204, response_class=Response)
async def discard_draft(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> Response:
    task = await _visible(session, task_id, principal)
    if await task_drafts.discard(session, task.id, principal.id):
        await _audit(session, principal, task, "task.draft_discarded")
    return Response(status_code=204)
