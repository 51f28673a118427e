"""A worker serves the Temporal SDK's metrics, workflow task failures among them, and
Docketflow's own series (lease expiries, SLA events) on a second address."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

import httpx

from core.settings import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_worker_exports_workflow_task_failures_for_prometheus(settings: Settings) -> None:
    address = f"127.0.0.1:{_free_port()}"
    app_address = f"127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "DOCKETFLOW_DATABASE_URL": settings.database_url,
        "DOCKETFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
        "DOCKETFLOW_TASK_QUEUE": settings.task_queue,
        "DOCKETFLOW_ENV": "test",
        "DOCKETFLOW_WORKER_METRICS_ADDRESS": address,
        "DOCKETFLOW_WORKER_APP_METRICS_ADDRESS": app_address,
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "worker",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = ""
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(100):
                try:
                    body = (await http.get(f"http://{address}/metrics")).text
                except httpx.HTTPError:
                    await asyncio.sleep(0.2)
                    continue
                if "temporal_workflow_task" in body or "temporal_worker" in body:
                    break
                await asyncio.sleep(0.2)
            app_body = ""
            for _ in range(100):
                try:
                    app_body = (await http.get(f"http://{app_address}/metrics")).text
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.2)
        assert "temporal_" in body, body[:500]
        assert "docketflow_sla_events_total" in app_body
        assert "docketflow_task_lease_expiries_total" in app_body
    finally:
        worker.kill()
        await worker.wait()
