"""What a create left behind, read straight from PostgreSQL and Temporal (not through the API,
whose lists hide unconfirmed engagements), and the create request itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from tests.harness import MOTION_INPUTS, Stack
from tests.tcp_proxy import ProxiedStack


def motion(stack: Stack, **changes: Any) -> dict[str, Any]:
    return {
        "firm_id": stack.user_ids["firm"],
        "template": "draft-qc-efile",
        "title": "Motion to compel discovery",
        "matter_ref": "HM-2024-0113",
        "inputs": MOTION_INPUTS,
        **changes,
    }


async def post(stack: Stack, user: str, key: str, body: dict[str, Any]) -> httpx.Response:
    headers = {**stack.auth(user), "Idempotency-Key": key}
    return await stack.http.post("/api/v1/engagements", json=body, headers=headers)


async def sql(settings: Settings, query: str) -> list[Any]:
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(query))).scalars())
    finally:
        await engine.dispose()


async def engagement_rows(settings: Settings) -> list[str]:
    """Every engagement row, confirmed or not (the API's lists hide unconfirmed ones)."""
    return [str(i) for i in await sql(settings, "SELECT id FROM engagements ORDER BY created_at")]


async def created_entries(settings: Settings, engagement_id: str) -> int:
    query = (
        "SELECT count(*) FROM audit_log WHERE action = 'engagement.created' "
        f"AND engagement_id = '{engagement_id}'"
    )
    return int((await sql(settings, query))[0])


async def engagement_runs(client: Client, settings: Settings) -> list[str]:
    """Workflow ids of every engagement run on the test's task queue (each run listed once)."""
    query = f'WorkflowType = "Engagement" AND TaskQueue = "{settings.task_queue}"'
    runs: list[str] = []
    for _ in range(50):  # visibility trails the start by a moment
        runs = [execution.id async for execution in client.list_workflows(query)]
        if runs:
            break
        await asyncio.sleep(0.1)
    return sorted(runs)


async def workflow_exists(proxied: ProxiedStack, engagement_id: str) -> bool:
    handle = proxied.direct.get_workflow_handle(await proxied.stack.workflow_id(engagement_id))
    try:
        await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True
