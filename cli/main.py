"""`docketflow …`: the composition root for every process (dev stack, API, worker, admin)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cli.audit_commands import audit_app
from cli.keys_commands import keys_app
from cli.templates_commands import templates_app
from cli.users_commands import users_app
from core.logging import configure_logging
from core.settings import Settings, load_settings

app = typer.Typer(
    help="Docketflow: workflow orchestration for outsourced legal work.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(templates_app, name="templates")

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", envvar="DOCKETFLOW_HOME", help="State folder of a dev stack to reach"),
]


def _settings(home: Path | None) -> Settings:
    settings = load_settings(home)
    configure_logging(settings)
    return settings


@app.command()
def dev(
    home: Annotated[Path, typer.Option(help="State folder (PostgreSQL, Temporal, logs)")] = Path(
        ".docketflow"
    ),
    port: Annotated[int, typer.Option(help="API port")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Seed demo firm, users, engagements")
    ] = True,
) -> None:
    """Start everything on embedded defaults: PostgreSQL, Temporal (+ Web UI), API, worker."""
    from cli.devstack.stack import run_dev_stack

    run_dev_stack(home.resolve(), port, demo)


@app.command()
def migrate(home: HomeOption = None) -> None:
    """Apply database migrations and publish the built-in templates."""
    from cli.bootstrap import migrate_and_sync

    settings = _settings(home)
    asyncio.run(migrate_and_sync(settings))
    typer.echo("database migrated; built-in templates published")


@app.command()
def api(
    home: HomeOption = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    from api.app import create_app

    settings = _settings(home)
    # uvloop and httptools named, not "auto": a missing one fails here instead of silently serving
    # on the slower pure-Python stack (bench/claims.py runs the API with the same options).
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        # Forwarded headers are applied by the app itself (api/middleware.py), from
        # DOCKETFLOW_FORWARDED_ALLOW_IPS, so tests and any ASGI server see the same client.
        proxy_headers=False,
    )


@app.command()
def worker(home: HomeOption = None) -> None:
    """Run a Temporal worker for engagement workflows and their activities."""
    from workers.engagement_worker import run_worker

    asyncio.run(run_worker(_settings(home)))


@app.command()
def seed(home: HomeOption = None) -> None:
    """Seed the demo firm, users and engagements (needs a running worker to advance them)."""
    from cli.demo import seed_demo

    settings = _settings(home)
    logins = asyncio.run(seed_demo(settings))
    for line in logins:
        typer.echo(line)


if __name__ == "__main__":
    app()
