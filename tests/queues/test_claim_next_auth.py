"""claim-next authenticates on the connection it claims on: still per request, never cached."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from domain.enums import Role
from store.db import make_engine, make_session_factory
from tests.queues.conftest import Queues


async def test_a_disabled_clerks_token_is_refused_by_claim_next_at_once(q: Queues) -> None:
    await q.stack.add_user("ada", Role.ADMIN)
    first = await q.add_task()
    second = await q.add_task()
    response = await q.stack.call("POST", "/tasks/claim-next", "dana", 200)
    assert response.json()["id"] == first

    await q.stack.call("POST", f"/users/{q.stack.user_ids['dana']}/disable", "ada", 200)
    refused = await q.stack.call("POST", "/tasks/claim-next", "dana", 401)
    assert refused.headers["www-authenticate"] == "Bearer"

    # Nothing was claimed or audited for the refused call: the next clerk gets the task.
    assert await q.audit_actions(second) == []
    response = await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)
    assert response.json()["id"] == second


async def test_an_admin_may_not_claim_and_nothing_is_claimed(q: Queues) -> None:
    await q.stack.add_user("ada", Role.ADMIN)
    task = await q.add_task()
    await q.stack.call("POST", "/tasks/claim-next", "ada", 403)
    assert await q.audit_actions(task) == []
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana", 200)).json()["id"] == task


async def test_a_bad_or_missing_token_is_a_401_from_claim_next(q: Queues) -> None:
    await q.add_task()
    missing = await q.stack.http.post("/api/v1/tasks/claim-next")
    forged = await q.stack.http.post(
        "/api/v1/tasks/claim-next", headers={"Authorization": "Bearer not.a.token"}
    )
    assert (missing.status_code, forged.status_code) == (401, 401)


async def test_a_pooled_connection_killed_while_idle_is_replaced_before_use(q: Queues) -> None:
    # The pool pings connections idle longer than `ping_idle_seconds` (store/db.py) instead of at
    # every checkout; a server-side disconnect of an idle one must not reach the caller.
    engine = make_engine(q.settings.database_url, pool_size=1, ping_idle_seconds=0.05)
    sessions = make_session_factory(engine)
    async with sessions() as session:
        killed = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await q.sql("SELECT pg_terminate_backend(:pid)", pid=killed)
    await asyncio.sleep(0.2)
    async with sessions() as session:
        fresh = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await engine.dispose()
    assert fresh != killed
