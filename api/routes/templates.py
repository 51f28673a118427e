"""Templates: the service lines an engagement can follow, with their versions."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, HTTPException

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.problems import problem
from api.schemas import TemplateIn, TemplateOut, TemplateSummary
from domain.catalog import builtin_templates, parse_template
from domain.enums import Role
from domain.template_validation import TemplateError, validate_template
from store.models import TemplateVersion
from store.repositories import audit, templates

router = APIRouter(prefix="/templates", tags=["templates"])


def _summary(row: TemplateVersion) -> TemplateSummary:
    return TemplateSummary(key=row.key, version=row.version, name=row.name, builtin=row.builtin)


@router.get("", response_model=list[TemplateSummary])
async def list_templates(
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.TEMPLATES_READ))],
) -> list[TemplateSummary]:
    return [_summary(row) for row in await templates.list_latest(session)]


@router.post("", status_code=201, response_model=TemplateOut)
async def publish_template(
    body: TemplateIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TEMPLATES_WRITE))],
) -> Any:
    """Validate and publish a template; an existing key gets the next version (never edited).

    Engagements already running keep the version they started with.
    """
    if (body.definition is None) == (body.yaml is None):
        raise HTTPException(status_code=422, detail="give exactly one of `definition` or `yaml`")
    try:
        data = body.definition if body.definition is not None else parse_template(body.yaml or "")
        template = validate_template(data)
    except TemplateError as error:
        return problem(
            422, f"invalid template: {'; '.join(error.problems[:10])}", problems=error.problems
        )
    except (ValueError, yaml.YAMLError) as error:
        raise HTTPException(status_code=422, detail=f"invalid template: {error}") from error
    if (
        any(b.key == template.key for b in builtin_templates().values())
        and principal.role != Role.ADMIN
    ):
        raise HTTPException(status_code=403, detail="only an admin may publish over a built-in key")
    row = await templates.publish(session, template, created_by=principal.id)
    await audit.record(
        session,
        principal.audit_record(
            "template.published",
            "template",
            f"{row.key}@{row.version}",
            detail={"key": row.key, "version": row.version},
        ),
    )
    return TemplateOut(**_summary(row).model_dump(), definition=row.definition)


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
