"""claim-next: exactly once under a race, serving order, eligibility, WIP limits."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

from domain.enums import Role
from store.repositories import tasks
from tests.queues.conftest import Queues


async def test_racing_clerks_never_get_the_same_task(q: Queues) -> None:
    created = {await q.add_task("drafting") for _ in range(24)}
    clerks = [f"racer{i}" for i in range(8)]
    for name in clerks:
        await q.stack.add_user(name, Role.CLERK, ["drafting"])
    claimed: list[str] = []

    async def holder(name: str) -> None:
        while True:
            response = await q.stack.call(
                "POST", "/tasks/claim-next", name, json={"queues": ["drafting"]}
            )
            if response.status_code == 204:
                return
            assert response.status_code == 200, response.text
            claimed.append(response.json()["id"])

    await asyncio.gather(*(holder(name) for name in clerks))
    counts = Counter(claimed)
    assert set(counts) == created
    assert all(n == 1 for n in counts.values()), counts.most_common(3)


async def test_claim_next_serves_by_sla_urgency_not_priority_alone(q: Queues) -> None:
    # The complaint: a high task due in 17 h was served before a normal one due in 2 minutes.
    # Urgency is the SLA clock's warning point (a fraction of each task's own span).
    high_later = await q.add_task(
        priority=1, due_in=timedelta(hours=17), warn_in=timedelta(hours=11)
    )
    normal_now = await q.add_task(
        priority=2, due_in=timedelta(minutes=2), warn_in=-timedelta(hours=2)
    )
    # Same warning point: priority breaks the tie; no SLA at all comes last.
    tie_normal = await q.add_task(
        "other-queue", priority=2, due_in=timedelta(hours=30), warn_in=timedelta(hours=20)
    )
    tie_urgent = await q.add_task(
        "other-queue", priority=0, due_in=timedelta(hours=25), warn_in=timedelta(hours=20)
    )
    await q.sql(
        "UPDATE tasks SET warn_at = date_trunc('minute', now()) + interval '20 hours' "
        "WHERE queue = 'other-queue'"
    )
    no_sla = await q.add_task(priority=0)
    order = []
    for _ in range(5):
        response = await q.stack.call("POST", "/tasks/claim-next", "dana", 200)
        order.append(response.json()["id"])
    assert order == [normal_now, high_later, tie_urgent, tie_normal, no_sla]
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana")).status_code == 204


async def test_a_task_sent_back_is_not_handed_straight_back_to_its_sender(q: Queues) -> None:
    task = await q.add_task(due_in=timedelta(minutes=30))
    claimed = (await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()
    assert claimed["id"] == task
    await q.stack.call("POST", f"/tasks/{task}/release", "carlos", 200)
    # Carlos asks again: not the task he just gave back (a later, less urgent one is fine).
    assert (await q.stack.call("POST", "/tasks/claim-next", "carlos")).status_code == 204
    later = await q.add_task(due_in=timedelta(hours=8))
    assert (await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()["id"] == later
    # Someone else gets it; once they give it back too, it may go to carlos again.
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana", 200)).json()["id"] == task
    await q.stack.call("POST", f"/tasks/{task}/release", "dana", 200)
    await q.stack.call("POST", f"/tasks/{later}/release", "carlos", 200)
    assert (await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()["id"] == task
    # He may still open it by hand.
    await q.stack.call("POST", f"/tasks/{task}/release", "carlos", 200)
    await q.stack.call("POST", f"/tasks/{task}/claim", "carlos", 200)


async def test_a_task_needing_a_skill_goes_only_to_clerks_who_have_it(q: Queues) -> None:
    qc_task = await q.add_task("review", skill="qc")
    assert (await q.stack.call("POST", "/tasks/claim-next", "carlos")).status_code == 204
    # Not his to work and no work of his on it: hidden, as for a missing id (minimum necessary).
    await q.stack.call("POST", f"/tasks/{qc_task}/claim", "carlos", 404)
    response = await q.stack.call("POST", "/tasks/claim-next", "quinn", 200)
    assert response.json()["id"] == qc_task


async def test_a_queue_requiring_a_skill_refuses_clerks_without_it(q: Queues) -> None:
    task = await q.add_task("senior-drafting")
    await q.stack.call(
        "PATCH", "/queues/senior-drafting", "maria", 200, json={"required_skill": "qc"}
    )
    assert (await q.stack.call("POST", "/tasks/claim-next", "carlos")).status_code == 204
    await q.stack.call("POST", f"/tasks/{task}/claim", "carlos", 404)  # hidden: not his to work
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana", 200)).json()["id"] == task


async def test_separation_of_duties_keeps_the_drafter_off_the_check(q: Queues) -> None:
    check = await q.add_task("qc", excluded=[q.stack.user_ids["dana"]])
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana")).status_code == 204
    # Excluded with no work of hers on this (hand-made) engagement, so hidden; a drafter who did
    # the checked step sees it and is told why (test_drafter_cannot_qc_their_own_draft).
    await q.stack.call("POST", f"/tasks/{check}/claim", "dana", 404)
    assert (await q.stack.call("POST", "/tasks/claim-next", "quinn", 200)).json()["id"] == check


async def test_a_claim_beyond_the_clerks_wip_limit_is_a_409_that_says_so(q: Queues) -> None:
    for _ in range(3):
        await q.add_task()
    await q.stack.call(
        "PATCH", f"/clerks/{q.stack.user_ids['carlos']}", "maria", 200, json={"wip_limit": 2}
    )
    await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)
    await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)
    refused = await q.stack.call("POST", "/tasks/claim-next", "carlos", 409)
    assert "WIP limit is 2" in refused.json()["detail"]
    # the task is still there for someone else
    await q.stack.call("POST", "/tasks/claim-next", "dana", 200)


async def test_a_claim_beyond_the_queues_wip_limit_is_a_409(q: Queues) -> None:
    for _ in range(2):
        await q.add_task("intake")
    await q.stack.call("PATCH", "/queues/intake", "maria", 200, json={"wip_limit": 1})
    await q.stack.call("POST", "/tasks/claim-next", "carlos", 200, json={"queues": ["intake"]})
    refused = await q.stack.call(
        "POST", "/tasks/claim-next", "dana", 409, json={"queues": ["intake"]}
    )
    assert "'intake' (1/1)" in refused.json()["detail"]


async def test_every_claim_next_writes_one_chained_audit_entry_with_its_generation(
    q: Queues,
) -> None:
    created = {await q.add_task() for _ in range(12)}
    clerks = [f"auditee{i}" for i in range(4)]
    for name in clerks:
        await q.stack.add_user(name, Role.CLERK, ["drafting"])

    async def claim_all(name: str) -> list[tuple[str, int]]:
        got: list[tuple[str, int]] = []
        while True:
            response = await q.stack.http.post(
                "/api/v1/tasks/claim-next",
                headers={**q.stack.auth(name), "x-request-id": f"req-{name}"},
            )
            if response.status_code == 204:
                return got
            assert response.status_code == 200, response.text
            got.append((response.json()["id"], response.json()["generation"]))

    claims = [c for got in await asyncio.gather(*(claim_all(n) for n in clerks)) for c in got]
    assert {task for task, _ in claims} == created
    rows = await q.sql(
        "SELECT object_id, actor_id, actor_role, detail, request_id, firm_id "
        "FROM audit_log WHERE action = 'task.claimed' ORDER BY id"
    )
    assert len(rows) == len(claims)
    by_task = {str(r[0]): r for r in rows}
    names = {user_id: name for name, user_id in q.stack.user_ids.items()}
    for task, generation in claims:
        _, actor, role, detail, request_id, firm = by_task[task]
        assert detail == {"via": "claim-next", "generation": generation}
        assert role == "clerk" and firm == q.firm_id
        assert request_id == f"req-{names[str(actor)]}"
    # The chainer links every entry written inside the claim statements once committed.
    await q.sql("SELECT audit_chain_pending(100000)")
    broken = await q.sql(
        "SELECT a.id FROM audit_log a LEFT JOIN audit_log p ON p.hash = a.prev_hash "
        "WHERE a.hash IS DISTINCT FROM audit_entry_hash(a) "
        "OR (p.id IS NULL AND a.prev_hash <> repeat('0', 64))"
    )
    assert broken == []


async def test_claim_next_reads_the_urgency_index_in_order(q: Queues) -> None:
    """The serving order is an index probe per queue, not a sort of every open task."""
    await q.add_task(due_in=timedelta(hours=1))
    await q.sql(
        "INSERT INTO tasks (id, engagement_id, firm_id, step_id, visit, kind, title, queue,"
        " priority, status, outcomes, due_at, warn_at)"
        " SELECT gen_random_uuid(), :e, :f, 'bulk-' || n, 1, 'human', 'Bulk', 'drafting', n % 4,"
        " 'open', ARRAY['done'], now() + n * interval '1 minute', now() + n * interval '30 seconds'"
        " FROM generate_series(1, 5000) AS n",
        e=q.engagement_id,
        f=q.firm_id,
    )
    await q.sql("ANALYZE tasks")
    params = tasks._claim_params(
        tasks.Claimant(user_id=uuid.UUID(q.stack.user_ids["dana"]), skills=["drafting"]), None
    )
    plan = "\n".join(
        str(r[0]) for r in await q.sql("EXPLAIN " + tasks._CLAIM_LOCKING.text, **params)
    )
    assert "ix_tasks_open_queue_urgency" in plan, plan
    assert "Sort" not in plan.split("LockRows")[-1], plan  # no sort inside the per-queue probe
