"""`docketflow …`: the composition root for every process (dev stack, API, worker, admin)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core.logging import configure_logging
from core.settings import Settings, load_settings
from domain.enums import Role

app = typer.Typer(
    help="Docketflow: workflow orchestration for outsourced legal work.", no_args_is_help=True
)
users_app = typer.Typer(help="Manage users (admin).", no_args_is_help=True)
app.add_typer(users_app, name="users")

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
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


@app.command()
def worker(home: HomeOption = None) -> None:
    """Run a Temporal worker for engagement workflows and their activities."""
    from workers.engagement_worker import run_worker

    asyncio.run(run_worker(_settings(home)))


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
    from cli.bootstrap import UserError, add_user

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
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(f"user {username} ({role.value}) added: {user_id}")


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
