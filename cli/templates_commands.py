"""`docketflow templates add FILE | list`: publish and inspect versioned templates."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
import yaml

from core.logging import configure_logging
from core.settings import Settings, load_settings
from domain.catalog import parse_template
from domain.template_validation import TemplateError, validate_template
from store.db import make_engine, make_session_factory
from store.repositories import audit, templates
from store.repositories.audit import AuditRecord

templates_app = typer.Typer(help="Publish and list templates.", no_args_is_help=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", envvar="DOCKETFLOW_HOME", help="State folder of a dev stack to reach"),
]


def _settings(home: Path | None) -> Settings:
    settings = load_settings(home)
    configure_logging(settings)
    return settings


async def _publish(settings: Settings, text: str) -> tuple[str, int]:
    template = validate_template(parse_template(text))
    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    try:
        async with make_session_factory(engine).begin() as session:
            row = await templates.publish(session, template, created_by=None)
            await audit.record(
                session,
                AuditRecord(
                    action="template.published",
                    object_type="template",
                    object_id=f"{row.key}@{row.version}",
                    actor_role="admin",
                    detail={"key": row.key, "version": row.version, "via": "cli"},
                ),
            )
            return row.key, row.version
    finally:
        await engine.dispose()


@templates_app.command("add")
def add(file: Path, home: HomeOption = None) -> None:
    """Validate FILE (YAML or JSON) and publish it as the next version of its key."""
    settings = _settings(home)
    try:
        key, version = asyncio.run(_publish(settings, file.read_text(encoding="utf-8")))
    except TemplateError as error:
        typer.echo(f"refused: {file}", err=True)
        for problem in error.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(code=2) from error
    except (OSError, ValueError, yaml.YAMLError) as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(f"published {key} version {version}")


async def _list(settings: Settings) -> list[tuple[str, int, str]]:
    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    try:
        async with make_session_factory(engine)() as session:
            return [(r.key, r.version, r.name) for r in await templates.list_latest(session)]
    finally:
        await engine.dispose()


@templates_app.command("list")
def list_templates(home: HomeOption = None) -> None:
    """The latest version of every template."""
    for key, version, name in asyncio.run(_list(_settings(home))):
        typer.echo(f"{key:<28} v{version:<3} {name}")
