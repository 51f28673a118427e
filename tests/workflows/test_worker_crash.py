"""Kill the worker mid-engagement: a new worker finishes it, and nothing is duplicated."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import Settings
from domain.enums import Role
from tests.harness import running_stack


@contextmanager
def worker_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DOCKETFLOW_DATABASE_URL": settings.database_url,
        "DOCKETFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
        "DOCKETFLOW_TASK_QUEUE": settings.task_queue,
        "DOCKETFLOW_ENV": "test",
        "DOCKETFLOW_DOCUMENT_ROOT": str(settings.documents_root()),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def test_engagement_survives_a_killed_worker_without_duplicates(settings: Settings) -> None:
    async with running_stack(settings, with_worker=False) as stack:
        await stack.add_user("maria", Role.MANAGER)
        await stack.add_user("carlos", Role.CLERK, ["drafting"])
        await stack.add_user("quinn", Role.CLERK, ["qc"])
        firm_id = await stack.create_firm("maria")
        await stack.add_user("paula", Role.PARTNER, firm=firm_id)

        with worker_process(settings) as first:
            engagement_id = await stack.create_engagement("maria", firm_id)
            draft = await stack.wait_for_task(engagement_id, "draft", "carlos")
            await stack.claim_and_complete(draft["id"], "carlos", draft=True)
            qc = await stack.wait_for_task(engagement_id, "qc", "quinn")
            first.send_signal(signal.SIGKILL)  # no graceful shutdown: a crashed machine
            first.wait()

        await stack.call("POST", f"/tasks/{qc['id']}/claim", "quinn", 200)
        # The completion is accepted by Temporal only once a worker runs the update: start the
        # replacement while the request waits.
        completion = asyncio.create_task(
            stack.call("POST", f"/tasks/{qc['id']}/complete", "quinn", json={"outcome": "approved"})
        )
        await asyncio.sleep(1.0)
        with worker_process(settings):
            response = await completion
            assert response.status_code == 200, response.text
            approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula")
            await stack.call("POST", f"/tasks/{approval['id']}/claim", "paula", 200)
            await stack.call(
                "POST",
                f"/tasks/{approval['id']}/complete",
                "paula",
                200,
                json={"outcome": "approved"},
            )
            detail = await stack.wait_for_status(engagement_id, "completed", "maria", timeout=60)

    # No FRCP 5.2 exemption was claimed: its approval step is the one never visited.
    visited = [s for s in detail["steps"] if s["id"] != "exemption_approval"]
    assert {s["status"] for s in visited} == {"completed"}
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as connection:
        per_step = (
            await connection.execute(
                text(
                    "SELECT step_id, count(*) FROM tasks WHERE engagement_id = :e GROUP BY step_id"
                ),
                {"e": engagement_id},
            )
        ).all()
        audit_rows = (
            await connection.execute(
                text("SELECT action, object_id FROM audit_log WHERE engagement_id = :e"),
                {"e": engagement_id},
            )
        ).all()
        events = (
            await connection.execute(
                text("SELECT type, step_id FROM engagement_events WHERE engagement_id = :e"),
                {"e": engagement_id},
            )
        ).all()
    await engine.dispose()
    assert dict(per_step) == {"draft": 1, "qc": 1, "attorney_approval": 1}
    duplicated = [row for row, n in Counter(audit_rows).items() if n > 1]
    assert duplicated == []
    assert Counter(a for a, _ in audit_rows)["task.completed"] == 3
    event_counts = Counter((row.type, row.step_id) for row in events)
    assert event_counts[("step.completed", "efile")] == 1
    assert event_counts[("engagement.completed", None)] == 1
