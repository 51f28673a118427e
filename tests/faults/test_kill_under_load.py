"""Kill each part of a running stack under a steady load of clerks: nothing wedges, nothing lies.

`docketflow dev` runs every part as a real process under its supervisor. While a manager keeps
opening engagements and clerks keep claiming and completing their tasks through the HTTP API,
the worker, the API, the Temporal dev server and PostgreSQL are SIGKILLed in turn; each comes
back and work flows again before the next one goes. The clients behave as real ones do: they
retry 5xx answers and lost connections with backoff (with an Idempotency-Key on every mutating
call), and after any failure look first for the task they may already hold.

Afterwards every engagement has completed, every task was completed once, by the clerk who held
it, who was told so; and the audit chain verifies. Run alone with `pytest -m faults`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import load_settings
from tests.dev_process import DevStack, dev_stack
from tests.faults.api_clients import QUEUES, TEMPLATE, Client, Ledger, set_up

pytestmark = [pytest.mark.faults, pytest.mark.timeout(420)]
log = logging.getLogger(__name__)

KILL_ORDER = ("worker", "api", "temporal", "postgres")
CLERKS = [f"clerk{n}" for n in range(1, 5)]
CREATE_EVERY_SECONDS = 0.4
MAX_ENGAGEMENTS = 150
# Before the next kill: this many completions after a restart, and this long under load, so
# that every kill lands on work in flight.
PROGRESS_AFTER_RESTART = 6
SECONDS_BETWEEN_KILLS = 8.0


async def clerk(client: Client, ledger: Ledger, done: asyncio.Event) -> None:
    """Claim, complete, repeat; after any failure, finish first whatever is already held."""
    while not done.is_set():
        held = await client.call("GET", "/tasks", params={"assignee": "me", "status": "claimed"})
        items = held.json()["items"] if held.status_code == 200 else []
        if items:
            task = items[0]
        else:
            claimed = await client.call("POST", "/tasks/claim-next", json={"queues": QUEUES})
            if claimed.status_code == 204:
                await asyncio.sleep(0.2)
                continue
            if claimed.status_code != 200:
                ledger.anomalies.append(f"claim-next: {claimed.status_code} {claimed.text}")
                await asyncio.sleep(0.5)
                continue
            task = claimed.json()
        answer = await client.call(
            "POST",
            f"/tasks/{task['id']}/complete",
            json={"outcome": "done", "generation": task["generation"]},
            headers={"Idempotency-Key": f"complete-{task['id']}-{task['generation']}"},
        )
        body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
        if answer.status_code == 200 and body.get("status") == "completed":
            if task["id"] in ledger.completed_by:
                ledger.anomalies.append(f"task {task['id']} reported completed twice")
            ledger.completed_by[task["id"]] = client.username
            ledger.completions += 1
        else:
            ledger.anomalies.append(
                f"{client.username} completing {task['step_id']} task {task['id']} "
                f"(phase {ledger.phase}): {answer.status_code} {answer.text[:200]}"
            )
            await asyncio.sleep(0.5)


async def manager(
    client: Client, firm_id: str, ledger: Ledger, stop_creating: asyncio.Event
) -> None:
    """Open an engagement at a steady pace; a retried create carries the same key."""
    while not stop_creating.is_set() and len(ledger.created) < MAX_ENGAGEMENTS:
        key = f"create-{uuid.uuid4()}"
        response = await client.call(
            "POST",
            "/engagements",
            headers={"Idempotency-Key": key},
            json={
                "firm_id": firm_id,
                "template": TEMPLATE["key"],
                "title": "Fault-injection letter",
                "matter_ref": "FI-0001",
                "inputs": {},
            },
        )
        if response.status_code == 201:
            ledger.created[key] = response.json()["id"]
        else:
            ledger.anomalies.append(f"create answered {response.status_code}: {response.text}")
        await asyncio.sleep(CREATE_EVERY_SECONDS)


async def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def _kill_in_turn(stack: DevStack, ledger: Ledger) -> None:
    await _until(lambda: ledger.completions >= 6, 60, "work flowing before the kills")
    for child in KILL_ORDER:
        await asyncio.sleep(SECONDS_BETWEEN_KILLS)
        pid = stack.pids()[child]
        ledger.phase = f"{child} killed"
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(stack.wait_restarted, child, pid, 60)
        baseline = ledger.completions
        await _until(
            lambda: ledger.completions >= baseline + PROGRESS_AFTER_RESTART,  # noqa: B023
            90,
            f"work flowing again after {child} was killed",
        )
        ledger.recoveries[child] = round(time.monotonic() - killed_at, 1)
        ledger.phase = f"after {child}"


async def _engagement_statuses(database_url: str) -> Counter[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT status, count(*) AS n FROM engagements GROUP BY status")
            )
            return Counter({row.status: row.n for row in rows})
    finally:
        await engine.dispose()


async def _drain(database_url: str, ledger: Ledger, timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    statuses: Counter[str] = Counter()
    while time.monotonic() < deadline:
        with suppress(DBAPIError):  # PostgreSQL may still be coming back
            statuses = await _engagement_statuses(database_url)
        if statuses and set(statuses) == {"completed"} and statuses.total() >= len(ledger.created):
            return statuses
        await asyncio.sleep(1)
    return statuses


async def _facts(database_url: str) -> dict[str, list[Any]]:
    queries = {
        "engagements": "SELECT id::text, status, current_step FROM engagements",
        "tasks": "SELECT id::text, engagement_id::text, step_id, visit, status, "
        "assignee_id::text, completed_by::text, generation FROM tasks",
        "audit": "SELECT id, action, object_id, actor_id::text, detail FROM audit_log "
        "WHERE action IN ('task.claimed', 'task.completed') ORDER BY id",
        "events": "SELECT detail->>'task_id' FROM engagement_events WHERE type = 'task.completed'",
        "users": "SELECT id::text, username FROM users",
    }
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return {name: list(await connection.execute(text(q))) for name, q in queries.items()}
    finally:
        await engine.dispose()


def _broken_promises(facts: dict[str, list[Any]], ledger: Ledger) -> list[str]:
    """Every way the database and what the clients were told disagree with a correct run."""
    problems: list[str] = []
    username = dict(facts["users"])
    tasks_of: dict[str, dict[str, Any]] = defaultdict(dict)
    for task in facts["tasks"]:
        if task.step_id in tasks_of[task.engagement_id]:
            problems.append(f"engagement {task.engagement_id} has two {task.step_id} tasks")
        tasks_of[task.engagement_id][task.step_id] = task
    for engagement in facts["engagements"]:
        steps = tasks_of.get(engagement.id, {})
        if engagement.status != "completed" or set(steps) != {"write", "check"}:
            summary = {s: (t.status, username.get(t.assignee_id)) for s, t in steps.items()}
            problems.append(
                f"engagement {engagement.id} is {engagement.status} at "
                f"{engagement.current_step}: tasks {summary}"
            )
        elif steps["write"].completed_by == steps["check"].completed_by:
            problems.append(f"engagement {engagement.id}: checked by its own writer")

    completions: dict[str, list[Any]] = defaultdict(list)
    last_claim: dict[str, Any] = {}
    for entry in facts["audit"]:
        if entry.action == "task.claimed":
            last_claim[entry.object_id] = entry
        else:
            completions[entry.object_id].append((entry, last_claim.get(entry.object_id)))
    events = Counter(task_id for (task_id,) in facts["events"])
    for task in facts["tasks"]:
        if task.status != "completed":
            continue
        who = username.get(task.completed_by)
        audited = completions.get(task.id, [])
        if len(audited) != 1:
            problems.append(f"task {task.id}: {len(audited)} task.completed audit entries")
        for entry, claim in audited:
            if entry.actor_id != task.completed_by:
                problems.append(f"task {task.id}: audit says completed by {entry.actor_id}")
            if claim is None or claim.actor_id != task.completed_by:
                holder = username.get(claim.actor_id) if claim else None
                problems.append(f"task {task.id}: completed by {who}, last claimed by {holder}")
            elif claim.detail.get("generation") != task.generation:
                problems.append(
                    f"task {task.id}: completed at generation {task.generation}, "
                    f"last claim was generation {claim.detail.get('generation')}"
                )
        if events[task.id] != 1:
            problems.append(f"task {task.id}: {events[task.id]} task.completed timeline events")
        told = ledger.completed_by.get(task.id)
        if told != who:
            problems.append(f"task {task.id}: completed by {who}, but the API told {told}")
    completed = {t.id for t in facts["tasks"] if t.status == "completed"}
    problems += [
        f"task {task_id}: {user} was told it completed, the database says it did not"
        for task_id, user in ledger.completed_by.items()
        if task_id not in completed
    ]
    return problems


async def test_killing_each_part_under_load_loses_and_duplicates_nothing() -> None:
    ledger = Ledger()
    deadline = time.monotonic() + 330
    with dev_stack("--no-demo") as stack:
        await asyncio.to_thread(stack.wait_ready)
        database_url = load_settings(stack.home).database_url
        boss, firm_id = await set_up(stack, ledger, deadline, CLERKS)
        clerks = [Client(stack.api, name, ledger, deadline) for name in CLERKS]
        for client in clerks:
            await client.login()
        done, stop_creating = asyncio.Event(), asyncio.Event()
        load = [asyncio.create_task(clerk(c, ledger, done)) for c in clerks]
        load.append(asyncio.create_task(manager(boss, firm_id, ledger, stop_creating)))
        try:
            await _kill_in_turn(stack, ledger)
            stop_creating.set()
            ledger.phase = "drain"
            statuses = await _drain(database_url, ledger, timeout=90)
            done.set()
            await asyncio.wait_for(asyncio.gather(*load), timeout=60)
        finally:
            done.set()
            stop_creating.set()
            for task in load:
                task.cancel()
            for client in [boss, *clerks]:
                await client.close()
        facts = await _facts(database_url)
        verify = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "cli.main", "audit", "verify", "--home", str(stack.home)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "DOCKETFLOW_LOG_JSON": "false"},
        )
        stop_seconds = stack.stop()
        restarts = re.findall(r"child\.restarting.*child=(\w+)", stack.log())
        summary = {
            "engagements": statuses,
            "created": len(ledger.created),
            "completions": ledger.completions,
            "recoveries_seconds": ledger.recoveries,
            "transient": dict(sorted(ledger.transient.items())),
            "anomalies": ledger.anomalies,
            "stop_seconds": round(stop_seconds, 1),
            "restarts": restarts,
        }
        (stack.home / "fault-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        log.info("fault injection: %s", json.dumps(summary))
        assert set(restarts) >= set(KILL_ORDER), restarts
        problems = _broken_promises(facts, ledger)
        assert not problems, "\n".join(problems[:40]) + f"\n{json.dumps(summary, indent=2)}"
        assert set(ledger.created.values()) == {e.id for e in facts["engagements"]}, summary
        assert not ledger.anomalies, "\n".join(ledger.anomalies)
        assert verify.returncode == 0 and "audit chain intact" in verify.stdout, verify
        assert stack.process.returncode == 0
        assert stop_seconds < 30, f"stopping took {stop_seconds:.1f}s"
