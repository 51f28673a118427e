"""Published template versions. Rows are never updated: a change is a new version."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.templates import Template
from store.models import TemplateVersion


async def latest(session: AsyncSession, key: str) -> TemplateVersion | None:
    query = (
        select(TemplateVersion)
        .where(TemplateVersion.key == key)
        .order_by(TemplateVersion.version.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get(session: AsyncSession, key: str, version: int) -> TemplateVersion | None:
    return await session.get(TemplateVersion, (key, version))


async def list_latest(session: AsyncSession) -> Sequence[TemplateVersion]:
    newest = (
        select(TemplateVersion.key, func.max(TemplateVersion.version).label("version"))
        .group_by(TemplateVersion.key)
        .subquery()
    )
    query = (
        select(TemplateVersion)
        .join(
            newest,
            (TemplateVersion.key == newest.c.key) & (TemplateVersion.version == newest.c.version),
        )
        .order_by(TemplateVersion.key)
    )
    return (await session.execute(query)).scalars().all()


def _definition(template: Template) -> dict[str, Any]:
    return template.model_dump(mode="json", exclude={"version"}, exclude_defaults=False)


async def publish(
    session: AsyncSession,
    template: Template,
    *,
    created_by: uuid.UUID | None,
    builtin: bool = False,
) -> TemplateVersion:
    """Store `template` as the next version of its key (unless identical to the latest)."""
    current = await latest(session, template.key)
    definition = _definition(template)
    if current is not None and current.definition == definition:
        return current
    version = 1 if current is None else current.version + 1
    statement = (
        insert(TemplateVersion)
        .values(
            key=template.key,
            version=version,
            name=template.name,
            definition=definition,
            builtin=builtin,
            created_by=created_by,
        )
        .on_conflict_do_nothing()
        .returning(TemplateVersion)
    )
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None:  # a concurrent publisher took this version number first
        found = await get(session, template.key, version)
        assert found is not None
        return found
    return row


async def sync_builtins(session: AsyncSession, templates: Iterable[Template]) -> None:
    """Publish each shipped template whose definition changed since the last sync."""
    for template in templates:
        await publish(session, template, created_by=None, builtin=True)


def as_template(row: TemplateVersion) -> Template:
    return Template.model_validate({**row.definition, "version": row.version})
