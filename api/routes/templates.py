"""Templates: the service lines an engagement can follow, with their versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import TemplateOut, TemplateSummary
from store.models import TemplateVersion
from store.repositories import templates

router = APIRouter(prefix="/templates", tags=["templates"])


def _summary(row: TemplateVersion) -> TemplateSummary:
    return TemplateSummary(key=row.key, version=row.version, name=row.name, builtin=row.builtin)


@router.get("", response_model=list[TemplateSummary])
async def list_templates(
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.TEMPLATES_READ))],
) -> list[TemplateSummary]:
    return [_summary(row) for row in await templates.list_latest(session)]


@router.get("/{key}", response_model=TemplateOut)
async def get_template(
    key: str,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.TEMPLATES_READ))],
    version: int | None = None,
) -> TemplateOut:
    row = (
        await templates.latest(session, key)
        if version is None
        else await templates.get(session, key, version)
    )
    if row is None:
        raise HTTPException(status_code=404, detail=f"template {key!r} not found")
    return TemplateOut(**_summary(row).model_dump(), definition=row.definition)
