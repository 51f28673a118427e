"""Admin operations the CLI runs directly against the database."""

from __future__ import annotations

import asyncio
import uuid

from core.security import hash_password
from core.settings import Settings
from domain.catalog import builtin_templates
from domain.enums import Role
from store import migrate
from store.db import make_engine, make_session_factory
from store.repositories import audit, firms, templates, users
from store.repositories.audit import AuditRecord
from store.scope import Scope


class UserError(Exception):
    """A user could not be added as asked."""


async def migrate_and_sync(settings: Settings) -> None:
    """Migrations and the built-in templates, as the schema's owner (`owner_database_url`)."""
    url = settings.migration_database_url
    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url, pool_size=1, limits=settings.database_limits)
    async with make_session_factory(engine).begin() as session:
        await templates.sync_builtins(session, builtin_templates().values())
    await engine.dispose()


MIN_PASSWORD = 8


async def add_user(
    settings: Settings,
    username: str,
    role: Role,
    password: str,
    firm: str | None,
    skills: list[str],
) -> uuid.UUID:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"passwords need at least {MIN_PASSWORD} characters")
    if role == Role.PARTNER and not firm:
        raise UserError("a partner belongs to one firm: pass --firm FIRM_ID")
    if role != Role.PARTNER and firm:
        raise UserError("only partners belong to a firm")
    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    try:
        async with make_session_factory(engine).begin() as session:
            firm_id: uuid.UUID | None = None
            if firm:
                try:
                    firm_id = uuid.UUID(firm)
                except ValueError:
                    found = await firms.get_by_name(session, firm)
                    firm_id = found.id if found else None
                if firm_id is None or await firms.get(session, firm_id, Scope.everything()) is None:
                    raise UserError(f"no firm {firm!r}")
            if await users.get_by_username(session, username) is not None:
                raise UserError(f"user {username!r} exists already")
            user = await users.create(
                session,
                username=username,
                password_hash=hash_password(password),
                role=role.value,
                firm_id=firm_id,
                skills=skills,
            )
            # The same entry the API's user administration writes: who may log in is audited
            # whichever way the user was made (HIPAA audit controls, 45 CFR 164.312(b)).
            await audit.record(
                session,
                AuditRecord(
                    action="user.added",
                    object_type="user",
                    object_id=str(user.id),
                    actor_role="admin",
                    firm_id=firm_id,
                    detail={"username": username, "role": role.value, "via": "cli"},
                ),
            )
            return user.id
    finally:
        await engine.dispose()
