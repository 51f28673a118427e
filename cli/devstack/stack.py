"""`docketflow dev`: one state folder, every part started, kept running and stopped together.

PostgreSQL and Temporal get free ports on first start; they are recorded in `HOME/stack.json`
so other commands (`--home` / DOCKETFLOW_HOME) find them, and a second start resumes the same
data. Every part is a child of a supervisor (cli/devstack/supervisor.py): one that dies is
started again on the same ports, and HOME/pids.json names the current pid of each. Ctrl-C or
SIGTERM stops every child.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import structlog
import typer

from cli.bootstrap import migrate_and_sync
from cli.demo import login_lines, seed_demo
from cli.devstack.postgres import PrivatePostgres
from cli.devstack.supervisor import PIDS_FILE, Child, Supervisor
from cli.devstack.temporal_server import TemporalDevServer, wait_for_port
from core.logging import configure_logging
from core.settings import STACK_FILE, load_settings

log = structlog.get_logger(__name__)
DEMO_MARKER = "demo-seeded"


def _read_stack(home: Path) -> dict[str, Any]:
    path = home / STACK_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _port_of(address: str | None) -> int | None:
    return int(address.rsplit(":", 1)[1]) if address else None


def _configure_logging(home: Path) -> None:
    """The dev command talks to a person at a terminal: readable lines unless
    DOCKETFLOW_LOG_JSON says otherwise (its children log JSON to HOME/logs)."""
    settings = load_settings(home)
    if "log_json" not in settings.model_fields_set:
        settings = settings.model_copy(update={"log_json": False})
    configure_logging(settings)
    # The stack's own events, not each readiness probe or migration step.
    for chatty in ("httpx", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _app_process(name: str, args: list[str], env: dict[str, str], logs: Path) -> Child:
    """`docketflow ARGS` as a supervised child logging to HOME/logs/NAME.log."""

    def launch() -> subprocess.Popen[bytes]:
        with (logs / f"{name}.log").open("ab") as out:
            # Its own process group: a terminal's Ctrl-C reaches the supervisor, which stops it.
            return subprocess.Popen(
                [sys.executable, "-m", "cli.main", *args],
                env=env,
                stdout=out,
                stderr=out,
                process_group=0,
            )

    return Child(name, launch)


def run_dev_stack(home: Path, api_port: int, demo: bool) -> None:
    # The one place dev mode is switched on: every setting read below, and every child
    # (inheriting the environment), accepts the public development keys only because of this.
    os.environ["DOCKETFLOW_ENV"] = "dev"
    home.mkdir(parents=True, exist_ok=True)
    _configure_logging(home)
    previous = _read_stack(home)
    postgres = PrivatePostgres(home, port=previous.get("postgres_port"))
    temporal = TemporalDevServer(
        home / "temporal",
        port=_port_of(previous.get("temporal_address")),
        ui_port=previous.get("temporal_ui_port"),
    )
    supervisor = Supervisor(home / PIDS_FILE)

    # Until the stack is up, SIGTERM takes the same path as Ctrl-C (KeyboardInterrupt) out of
    # whatever is starting; the supervisor then takes both signals over.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        postgres.prepare_foreground()
        # SIGINT is PostgreSQL's fast shutdown: open sessions are cut, nothing waits on clients.
        database = Child("postgres", postgres.spawn, signal.SIGINT, stop_timeout=30)
        owner_url = postgres.wait_ready(supervisor.start(database))
        temporal.choose_ports()
        assert temporal.port is not None
        wait_for_port(
            temporal.port,
            process=supervisor.start(Child("temporal", temporal.spawn, stop_timeout=15)),
        )
        stack = {
            # `--home` commands (users, seed, templates…) reach this stack in dev mode too.
            "env": "dev",
            # The API, worker and CLI as the runtime role; `migrate` as the schema's owner.
            "database_url": postgres.runtime_url,
            "owner_database_url": owner_url,
            "postgres_port": postgres.port,
            "temporal_address": temporal.address,
            "temporal_ui_port": temporal.ui_port,
            "temporal_ui_url": temporal.ui_url,
            "api_url": f"http://127.0.0.1:{api_port}",
        }
        (home / STACK_FILE).write_text(json.dumps(stack, indent=2) + "\n")
        settings = load_settings(home)
        asyncio.run(migrate_and_sync(settings))

        env = {**os.environ, "DOCKETFLOW_HOME": str(home), "DOCKETFLOW_LOG_JSON": "true"}
        logs = home / "logs"
        logs.mkdir(exist_ok=True)
        api = supervisor.start(_app_process("api", ["api", "--port", str(api_port)], env, logs))
        supervisor.start(_app_process("worker", ["worker"], env, logs))
        wait_for_port(api_port, timeout=60, process=api)
        _wait_ready(f"http://127.0.0.1:{api_port}/readyz")

        seeded_now = False
        if demo and not (home / DEMO_MARKER).exists():
            asyncio.run(seed_demo(settings))
            (home / DEMO_MARKER).write_text("yes\n")
            seeded_now = True
        _print_banner(stack, api_port, demo, seeded_now, home)
        supervisor.run()
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("\nstopping docketflow dev…")
        supervisor.stop()


def _interrupt(*_: object) -> None:
    """SIGTERM takes the same path as Ctrl-C: stop every child, then the servers."""
    raise KeyboardInterrupt


def _wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not become ready in {timeout:.0f}s")


def _print_banner(
    stack: dict[str, Any], api_port: int, demo: bool, seeded_now: bool, home: Path
) -> None:
    api = f"http://127.0.0.1:{api_port}"
    lines = [
        "",
        "Docketflow dev stack is up.",
        f"  Console      {api}/   (log in with a demo login below)",
        f"  API          {api}/api/v1   (docs {api}/docs)",
        f"  readiness    {api}/readyz",
        f"  Temporal UI  {stack['temporal_ui_url']}",
        f"  Temporal     {stack['temporal_address']}",
        f"  PostgreSQL   {stack['database_url']}",
        f"  state        {home}   (logs in {home / 'logs'})",
    ]
    if demo:
        lines += ["", "Demo logins" + (" (seeded now):" if seeded_now else ":"), *login_lines()]
    lines += ["", "Ctrl-C stops everything; run again with the same --home to resume.", ""]
    typer.echo("\n".join(lines))
