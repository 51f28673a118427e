"""`docketflow dev` starts every part under one home, stops them on SIGTERM and resumes after."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from cli.demo import DEADLINED, MOTIONS
from cli.devstack.ports import free_port


def _start(home: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "dev", "--home", str(home), "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DOCKETFLOW_LOG_JSON": "false"},
    )


def _wait_ready(port: int, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("the dev stack did not become ready")


def _login(port: int, username: str, timeout: float = 60) -> dict[str, str]:
    """Log in as a demo user, waiting for the seeding that follows readiness."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data={"username": username, "password": "docketflow-demo"},
        )
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=90)
    return output


# The plain motions, the deadlined ones (a breach, an at-risk task) and one waiting for approval.
DEMO_ENGAGEMENTS = len(MOTIONS) + len(DEADLINED) + 1


def test_dev_stack_seeds_the_demo_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    home = Path("/tmp") / f"docketflow-dev-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    first = _start(home, port)
    try:
        _wait_ready(port, first)
        headers = _login(port, "maria")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the demo's engagements are created after its users
            engagements = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/engagements", headers=headers
            ).json()
            if engagements["total"] == DEMO_ENGAGEMENTS:
                break
            time.sleep(0.5)
        assert engagements["total"] == DEMO_ENGAGEMENTS
        # The banner follows the end of seeding (marked on disk): a stop before it cuts it off.
        while time.monotonic() < deadline and not (home / "demo-seeded").exists():
            time.sleep(0.2)
        time.sleep(1)
    finally:
        output = _stop(first)
    assert "Demo logins" in output and "paula" in output
    assert first.returncode == 0
    stack = json.loads((home / "stack.json").read_text())
    assert stack["database_url"].startswith("postgresql+psycopg://")
    # Every child is gone: the recorded ports are free again.
    with httpx.Client() as client:
        for url in (f"http://127.0.0.1:{port}/healthz", stack["temporal_ui_url"]):
            try:
                client.get(url, timeout=1)
                raise AssertionError(f"{url} still answers after stop")
            except httpx.ConnectError:
                pass

    second = _start(home, port)
    try:
        _wait_ready(port, second)
        headers = _login(port, "maria")
        engagements = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/engagements", headers=headers
        ).json()
        assert engagements["total"] == DEMO_ENGAGEMENTS  # resumed, not re-seeded
        # Engagements are still alive in Temporal: a clerk can claim their first task.
        claimed = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/tasks/claim-next", headers=_login(port, "carlos")
        )
        assert claimed.status_code == 200
        assert claimed.json()["step_id"] == "draft"
    finally:
        _stop(second)


def test_templates_add_publishes_a_version_and_refuses_a_broken_file(
    tmp_path: Path, database_url: str
) -> None:
    env = {
        **os.environ,
        "DOCKETFLOW_DATABASE_URL": database_url,
        "DOCKETFLOW_LOG_JSON": "false",
        "DOCKETFLOW_ENV": "test",
    }
    good = tmp_path / "letter.yaml"
    good.write_text(
        "key: short-letter\nname: Short letter\nsteps:\n"
        "  - {id: write, kind: human, queue: letters, outcomes: {done: end}}\n"
    )
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "key: broken\nname: Broken\nsteps:\n"
        "  - {id: write, kind: human, queue: letters, outcomes: {done: nowhere}}\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", "templates", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    first, second = run("add", str(good)), run("add", str(good))
    assert first.returncode == 0 and "short-letter version 1" in first.stdout
    assert "short-letter version 1" in second.stdout  # identical content: no new version
    refused = run("add", str(bad))
    assert refused.returncode == 2
    assert "'nowhere'" in refused.stderr
    assert "short-letter" in run("list").stdout
