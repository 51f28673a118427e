"""A request cut short by a stopped or killed part: its retry must not act twice or half.

Deterministic companions of test_kill_under_load: SIGSTOP holds a part still at the moment that
matters (Temporal while an engagement is being created, the worker while a completion is in
flight), then a SIGKILL or a manager's decision lands in that window.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import load_settings
from tests.dev_process import dev_stack
from tests.faults.api_clients import TEMPLATE, Client, Ledger, set_up

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]


async def _rows(database_url: str, query: str, **params: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(query), params)]
    finally:
        await engine.dispose()


async def test_an_api_killed_while_creating_leaves_no_engagement_behind() -> None:
    with dev_stack("--no-demo") as stack:
        await asyncio.to_thread(stack.wait_ready)
        database_url = load_settings(stack.home).database_url
        boss, firm_id = await set_up(stack, Ledger(), time.monotonic() + 120, [])
        body = {
            "firm_id": firm_id,
            "template": TEMPLATE["key"],
            "title": "Letter",
            "matter_ref": "FI-0002",
            "inputs": {},
        }
        key = {"Idempotency-Key": "create-cut-short"}
        pids = stack.pids()
        os.kill(pids["temporal"], signal.SIGSTOP)  # the create waits on the workflow start
        try:
            async with httpx.AsyncClient(base_url=stack.api, timeout=30) as once:
                first = asyncio.create_task(
                    once.post("/engagements", json=body, headers={**boss.headers, **key})
                )
                await asyncio.sleep(3)
                os.kill(pids["api"], signal.SIGKILL)
                with pytest.raises(httpx.TransportError):
                    await first
        finally:
            os.kill(pids["temporal"], signal.SIGCONT)
        retried = await boss.call("POST", "/engagements", json=body, headers=key)
        assert retried.status_code == 201, retried.text
        engagement_id = retried.json()["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the engagement the client knows gets its task
            tasks = await boss.call("GET", f"/tasks?engagement_id={engagement_id}")
            if tasks.json()["items"]:
                break
            await asyncio.sleep(0.3)
        await asyncio.sleep(3)  # time for a late start of anything else to show
        engagements = await _rows(database_url, "SELECT id::text, current_step FROM engagements")
        await boss.close()
    # Asserted once the stack is gone, so that an expected failure leaves no home behind.
    # One engagement, the one the client was told about, and it is under way.
    assert engagements == [(engagement_id, "write")]


async def test_a_completion_in_flight_when_the_task_is_reassigned_does_not_land() -> None:
    with dev_stack("--no-demo") as stack:
        await asyncio.to_thread(stack.wait_ready)
        database_url = load_settings(stack.home).database_url
        deadline = time.monotonic() + 120
        boss, firm_id = await set_up(stack, Ledger(), deadline, ["alice", "bob"])
        alice = Client(stack.api, "alice", Ledger(), deadline)
        bob = Client(stack.api, "bob", Ledger(), deadline)
        for clerk in (alice, bob):
            await clerk.login()
        created = await boss.call(
            "POST",
            "/engagements",
            json={
                "firm_id": firm_id,
                "template": TEMPLATE["key"],
                "title": "Letter",
                "matter_ref": "FI-0003",
                "inputs": {},
            },
        )
        engagement_id = created.json()["id"]
        items: list[dict[str, object]] = []
        while not items and time.monotonic() < deadline:
            items = (await boss.call("GET", f"/tasks?engagement_id={engagement_id}")).json()[
                "items"
            ]
            await asyncio.sleep(0.2)
        task_id = items[0]["id"]
        assert (await alice.call("POST", f"/tasks/{task_id}/claim")).status_code == 200

        worker = stack.pids()["worker"]
        os.kill(worker, signal.SIGSTOP)  # alice's completion reaches Temporal, not the workflow
        try:
            stale = asyncio.create_task(
                alice.call("POST", f"/tasks/{task_id}/complete", json={"outcome": "done"})
            )
            await asyncio.sleep(1.5)
            moved = await boss.call("POST", f"/tasks/{task_id}/assign", json={"assignee": "bob"})
            assert moved.status_code == 200, moved.text
            current = asyncio.create_task(
                bob.call("POST", f"/tasks/{task_id}/complete", json={"outcome": "done"})
            )
            await asyncio.sleep(1.5)
        finally:
            os.kill(worker, signal.SIGCONT)
        answers = {"alice": (await stale).status_code, "bob": (await current).status_code}
        rows = await _rows(
            database_url,
            "SELECT (SELECT username FROM users WHERE id = t.assignee_id), "
            "(SELECT username FROM users WHERE id = t.completed_by) FROM tasks t "
            "WHERE t.id = CAST(:task AS uuid)",
            task=str(task_id),
        )
        for client in (boss, alice, bob):
            await client.close()
    # The holder completes it; the superseded claim is refused.
    assert rows == [("bob", "bob")], (rows, answers)
    assert answers == {"alice": 409, "bob": 200}
