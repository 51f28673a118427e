"""`docketflow dev`: one state folder, every part started and stopped together.

PostgreSQL and Temporal get free ports on first start; they are recorded in `HOME/stack.json`
so other commands (`--home` / DOCKETFLOW_HOME) find them, and a second start resumes the same
data. Ctrl-C or SIGTERM stops every child.
"""

from __future__ import annotations

import asyncio
import json
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
from cli.devstack.temporal_server import TemporalDevServer, wait_for_port
from core.settings import STACK_FILE, load_settings

log = structlog.get_logger(__name__)
DEMO_MARKER = "demo-seeded"


def _read_stack(home: Path) -> dict[str, Any]:
    path = home / STACK_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _port_of(address: str | None) -> int | None:
    return int(address.rsplit(":", 1)[1]) if address else None


def run_dev_stack(home: Path, api_port: int, demo: bool) -> None:
    home.mkdir(parents=True, exist_ok=True)
    previous = _read_stack(home)
    postgres = PrivatePostgres(home, port=previous.get("postgres_port"))
    temporal = TemporalDevServer(
        home / "temporal",
        port=_port_of(previous.get("temporal_address")),
        ui_port=previous.get("temporal_ui_port"),
    )
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        typer.echo("\nstopping docketflow dev…")
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        temporal.stop()
        postgres.stop()

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        database_url = postgres.start()
        temporal_address = temporal.start()
        stack = {
            "database_url": database_url,
            "postgres_port": postgres.port,
            "temporal_address": temporal_address,
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
        for name, args in (
            ("api", ["api", "--port", str(api_port)]),
            ("worker", ["worker"]),
        ):
            out = (logs / f"{name}.log").open("ab")
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "cli.main", *args], env=env, stdout=out, stderr=out
                )
            )
        wait_for_port(api_port, timeout=60, process=children[0])
        _wait_ready(f"http://127.0.0.1:{api_port}/readyz")

        seeded_now = False
        if demo and not (home / DEMO_MARKER).exists():
            asyncio.run(seed_demo(settings))
            (home / DEMO_MARKER).write_text("yes\n")
            seeded_now = True
        _print_banner(stack, api_port, demo, seeded_now, home)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        failed = [c.args for c in children if c.poll() is not None]
        typer.echo(f"a child process exited: {failed}; see {logs}", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        stop()


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
