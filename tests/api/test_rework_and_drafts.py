"""A rework stays with its drafter until they open it; a draft of the form outlives a claim."""

from __future__ import annotations

from store.db import make_engine, make_session_factory
from store.repositories import tasks
from tests.harness import Stack


async def _rejected_once(stack: Stack) -> tuple[str, dict[str, object]]:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    draft = await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.claim_and_complete(draft["id"], "carlos", draft=True)
    qc = await stack.wait_for_task(engagement_id, "qc", "dana")
    await stack.claim_and_complete(
        qc["id"], "dana", "rejected", output={"reasons": ["caption lacks the case number"]}
    )
    return engagement_id, await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)


async def test_a_rework_is_held_for_its_drafter_until_they_open_it(stack: Stack) -> None:
    _, rework = await _rejected_once(stack)
    assert rework["status"] == "claimed"
    assert rework["assignee_id"] == stack.user_ids["carlos"]
    # No lease is running yet, so the lease sweeper cannot hand it to the queue unassigned.
    assert rework["lease_expires_at"] is None
    engine = make_engine(stack.settings.database_url, pool_size=1)
    async with make_session_factory(engine).begin() as session:
        returned = await tasks.expire_leases(session)
    await engine.dispose()
    assert rework["id"] not in {str(r.task_id) for r in returned}
    # Opening it (the console's first heartbeat) starts the lease.
    lease = (await stack.call("POST", f"/tasks/{rework['id']}/heartbeat", "carlos", 200)).json()
    assert lease["lease_expires_at"] is not None


async def test_a_draft_is_the_typists_own_and_survives_a_lapsed_claim(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    typed = {"out.signature": "/s/ Jane Roe", "note": "half done"}
    url = f"/tasks/{task['id']}/draft"
    await stack.call("GET", url, "carlos", 404)
    await stack.call("PUT", url, "carlos", 200, json={"fields": typed})
    await stack.call("PUT", url, "carlos", 200, json={"fields": {**typed, "note": "more"}})
    await stack.call("GET", url, "dana", 404)  # another clerk never sees it
    await stack.call("POST", f"/tasks/{task['id']}/release", "carlos", 200)
    kept = (await stack.call("GET", url, "carlos", 200)).json()
    assert kept["fields"] == {**typed, "note": "more"}
    # Bad input is a clear 4xx that names the problem.
    refused = await stack.call("PUT", url, "carlos", 422, json={"fields": {"x": "y" * 20_001}})
    assert "at most 20000 characters" in refused.text
    await stack.call("DELETE", url, "carlos", 204)
    await stack.call("GET", url, "carlos", 404)
    trail = (await stack.call("GET", f"/audit?task_id={task['id']}", "maria", 200)).json()
    actions = [entry["action"] for entry in trail]
    assert actions.count("task.draft_started") == 1  # two saves, one entry
    assert actions.count("task.draft_discarded") == 1
