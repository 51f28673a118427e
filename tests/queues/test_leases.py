"""Leases: heartbeats renew them, lapsed ones return the task and fence the old holder."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import Client

from activities.leases import LeaseActivities
from core.temporal import connect
from store.db import make_engine, make_session_factory
from tests.queues.conftest import Queues
from workers.schedules import ensure_housekeeping_schedules


async def _sweep(q: Queues) -> list[str]:
    engine = make_engine(q.settings.database_url, pool_size=1)
    returned = await LeaseActivities(make_session_factory(engine)).sweep()
    await engine.dispose()
    return returned


async def test_a_claim_holds_a_lease_of_the_queues_length_and_heartbeat_renews_it(
    q: Queues,
) -> None:
    task = await q.add_task("drafting")
    await q.stack.call("PATCH", "/queues/drafting", "maria", 200, json={"lease_minutes": 10})
    claimed = (await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()
    rows = await q.sql(
        "SELECT extract(epoch FROM lease_expires_at - claimed_at) FROM tasks WHERE id = :id",
        id=uuid.UUID(task),
    )
    assert 599 <= float(rows[0][0]) <= 601  # type: ignore[arg-type]
    await q.expire_lease(task)
    beat = await q.stack.call(
        "POST",
        f"/tasks/{task}/heartbeat",
        "carlos",
        200,
        json={"generation": claimed["generation"]},
    )
    assert beat.json()["lease_expires_at"] > claimed["claimed_at"]
    assert await _sweep(q) == []  # renewed in time: nothing to return


async def test_an_expired_lease_returns_the_task_and_fences_the_old_holder(q: Queues) -> None:
    task = await q.add_task("drafting")
    first = (await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()
    await q.expire_lease(task)

    assert await _sweep(q) == [task]
    assert await _sweep(q) == []  # idempotent: a second sweep finds nothing
    back = (await q.stack.call("GET", f"/tasks/{task}", "maria", 200)).json()
    assert back["status"] == "open" and back["assignee_id"] is None
    assert "task.lease_expired" in await q.audit_actions(task)

    # the old holder can neither keep, release nor complete it
    await q.stack.call("POST", f"/tasks/{task}/heartbeat", "carlos", 409)
    await q.stack.call("POST", f"/tasks/{task}/release", "carlos", 409)
    await q.stack.call(
        "POST",
        f"/tasks/{task}/complete",
        "carlos",
        409,
        json={"outcome": "done", "generation": first["generation"]},
    )

    # someone else claims it: a new generation; the old one is refused and changes nothing
    second = (await q.stack.call("POST", "/tasks/claim-next", "dana", 200)).json()
    assert second["id"] == task and second["generation"] == first["generation"] + 1
    await q.stack.call("POST", "/tasks/claim-next", "carlos")  # carlos takes nothing back
    stale = await q.stack.call(
        "POST", f"/tasks/{task}/release", "dana", 409, json={"generation": first["generation"]}
    )
    assert "superseded" in stale.json()["detail"]
    still = (await q.stack.call("GET", f"/tasks/{task}", "dana", 200)).json()
    assert still["status"] == "claimed"
    assert still["assignee_id"] == q.stack.user_ids["dana"]
    assert still["generation"] == second["generation"]


async def test_the_scheduled_sweeper_workflow_returns_lapsed_leases(q: Queues) -> None:
    task = await q.add_task("drafting")
    await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)
    await q.expire_lease(task)
    client: Client = await connect(q.settings)
    sweeper, dispatcher, reconciler = await ensure_housekeeping_schedules(
        client, q.settings.task_queue
    )
    handle = client.get_schedule_handle(sweeper)
    try:
        await ensure_housekeeping_schedules(client, q.settings.task_queue)  # a second worker
        await handle.trigger()
        for _ in range(200):
            body = (await q.stack.call("GET", f"/tasks/{task}", "maria", 200)).json()
            if body["status"] == "open":
                break
            await asyncio.sleep(0.1)
        assert body["status"] == "open"
    finally:
        await handle.delete()
        for other in (dispatcher, reconciler):
            await client.get_schedule_handle(other).delete()
