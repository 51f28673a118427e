"""`docketflow users …`: add, list, disable, enable and reset users, straight in the database.

For the first admin and for break-glass work; day to day, admins use `/api/v1/users`. Every change
is audited as done by the operating-system user who ran the command.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cli.bootstrap import MIN_PASSWORD, UserError, add_user
from core.logging import configure_logging
from core.security import hash_password
from core.settings import Settings, load_settings
from domain.enums import Role
from store.db import make_engine, make_session_factory
from store.models import User
from store.repositories import audit, users
from store.repositories.audit import AuditRecord

users_app = typer.Typer(help="Manage users (admin).", no_args_is_help=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", envvar="DOCKETFLOW_HOME", help="State folder of a dev stack to reach"),
]


def _settings(home: Path | None) -> Settings:
    settings = load_settings(home)
    configure_logging(settings)
    return settings


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=2)


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[Role, typer.Option(help="admin, manager, clerk or partner")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    firm: Annotated[
        str | None, typer.Option("--firm", help="Firm id (required for partners)")
    ] = None,
    skills: Annotated[str, typer.Option(help="Comma-separated skills, e.g. drafting,qc")] = "",
    home: HomeOption = None,
) -> None:
    """Add a user."""
    settings = _settings(home)
    try:
        user_id = asyncio.run(
            add_user(
                settings,
                username,
                role,
                password,
                firm,
                [s.strip() for s in skills.split(",") if s.strip()],
            )
        )
    except UserError as error:
        raise _fail(error) from error
    typer.echo(f"user {username} ({role.value}) added: {user_id}")


async def change_user(
    settings: Settings,
    username: str,
    action: str,
    change: Callable[[AsyncSession, User], Awaitable[None]],
) -> None:
    """Apply `change` to the user and audit it, in one transaction."""
    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    try:
        async with make_session_factory(engine).begin() as session:
            user = await users.get_by_username(session, username)
            if user is None:
                raise UserError(f"no user {username!r}")
            await change(session, user)
            await audit.record(
                session,
                AuditRecord(
                    action=action,
                    object_type="user",
                    object_id=str(user.id),
                    actor_role="system",
                    firm_id=user.firm_id,
                    detail={"via": "cli", "os_user": getpass.getuser()},
                ),
            )
    finally:
        await engine.dispose()


def _run(
    home: Path | None, username: str, action: str, change: Callable[..., Awaitable[None]]
) -> None:
    try:
        asyncio.run(change_user(_settings(home), username, action, change))
    except UserError as error:
        raise _fail(error) from error


@users_app.command("disable")
def users_disable(username: str, home: HomeOption = None) -> None:
    """Disable a user: no more logins, and every token they hold stops working."""

    async def change(session: AsyncSession, user: User) -> None:
        await users.set_active(session, user, False)

    _run(home, username, "user.disabled", change)
    typer.echo(f"user {username} disabled")


@users_app.command("enable")
def users_enable(username: str, home: HomeOption = None) -> None:
    """Enable a disabled user again."""

    async def change(session: AsyncSession, user: User) -> None:
        await users.set_active(session, user, True)

    _run(home, username, "user.enabled", change)
    typer.echo(f"user {username} enabled")


@users_app.command("reset")
def users_reset(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    home: HomeOption = None,
) -> None:
    """Set a new password; the user's existing tokens stop working."""
    if len(password) < MIN_PASSWORD:
        raise _fail(UserError(f"passwords need at least {MIN_PASSWORD} characters"))

    async def change(session: AsyncSession, user: User) -> None:
        await users.set_password(session, user, hash_password(password))

    _run(home, username, "user.password_reset", change)
    typer.echo(f"password of {username} reset; their tokens are revoked")


@users_app.command("list")
def users_list(home: HomeOption = None) -> None:
    """List users: name, role, firm, active."""

    async def rows(settings: Settings) -> list[User]:
        engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
        try:
            async with make_session_factory(engine)() as session:
                return list(await users.list_all(session, limit=10_000))
        finally:
            await engine.dispose()

    for user in asyncio.run(rows(_settings(home))):
        state = "active" if user.active else "disabled"
        typer.echo(f"{user.username}\t{user.role}\t{user.firm_id or '-'}\t{state}")
