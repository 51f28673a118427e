"""`docketflow dev` brings a crashed child back, and still stops everything on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import time
from typing import Any

import httpx

from tests.dev_process import dev_stack, is_alive

DEMO_PASSWORD = "docketflow-demo"
MOTION = {"court": "SDNY", "case_number": "1:24-cv-00001", "document_type": "motion"}


def _login(api: str, username: str, timeout: float = 60) -> dict[str, str]:
    """Log in as a demo user, waiting for the seeding that follows readiness."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.post(
            f"{api}/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _first_task(
    api: str, headers: dict[str, str], engagement_id: str, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = httpx.get(f"{api}/tasks?engagement_id={engagement_id}", headers=headers).json()
        if tasks["items"]:
            return dict(tasks["items"][0])
        time.sleep(0.3)
    raise AssertionError(f"engagement {engagement_id} got no task within {timeout}s")


def test_a_killed_worker_is_restarted_and_work_still_flows() -> None:
    with dev_stack() as stack:
        stack.wait_ready()
        maria = _login(stack.api, "maria")
        before = stack.pids()
        assert set(before) >= {"postgres", "temporal", "api", "worker"}

        os.kill(before["worker"], signal.SIGKILL)  # no graceful shutdown: a crash
        worker = stack.wait_restarted("worker", before["worker"], timeout=30)
        assert {k: v for k, v in stack.pids().items() if k != "worker"} == {
            k: v for k, v in before.items() if k != "worker"
        }  # nothing else was touched

        firm = next(f for f in httpx.get(f"{stack.api}/firms", headers=maria).json())
        created = httpx.post(
            f"{stack.api}/engagements",
            headers=maria,
            json={
                "firm_id": firm["id"],
                "template": "draft-qc-efile",
                "title": "Motion after a crash",
                "matter_ref": "HM-2024-0999",
                "inputs": MOTION,
            },
        )
        assert created.status_code == 201, created.text
        task = _first_task(stack.api, maria, created.json()["id"], timeout=30)
        assert task["step_id"] == "draft"

        children = stack.pids()
        seconds = stack.stop()
        assert stack.process.returncode == 0, stack.log()
        assert seconds < 30, f"stopping took {seconds:.1f}s"
        assert not [name for name, pid in children.items() if is_alive(pid)]
        log = stack.log()
        # The restart is logged: the child's name, how it ended, the delay before it came back.
        restart = re.search(r"child\.restarting.*", log)
        assert restart, log
        line = restart.group(0)
        assert "child=worker" in line and "exit_code=-9" in line and "delay_seconds=" in line
        assert re.search(rf"child\.started.*child=worker.*pid={worker}", log), log
        assert "restarting" not in log.split("stopping docketflow dev")[-1]  # none during shutdown
