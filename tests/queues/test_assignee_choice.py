"""A manager picks an assignee from those the eligibility rule allows; bulk priority dry-runs."""

from __future__ import annotations

from datetime import timedelta

from domain.enums import Role
from tests.queues.conftest import Queues


async def test_only_available_qualified_staff_are_offered_for_a_task(q: Queues) -> None:
    await q.stack.add_user("paula", Role.PARTNER, firm=str(q.firm_id))
    await q.stack.add_user("ava", Role.CLERK, ["qc"])
    carlos = q.stack.user_ids["carlos"]
    await q.stack.call(
        "PATCH", f"/clerks/{q.stack.user_ids['ava']}", "maria", 200, json={"availability": "away"}
    )
    # A QC task whose draft carlos did: separation of duties keeps him off it.
    task = await q.add_task("qc", skill="qc", excluded=[carlos])
    offered = (await q.stack.call("GET", f"/tasks/{task}/eligible-assignees", "maria", 200)).json()
    names = [c["username"] for c in offered]
    assert names == ["dana", "maria", "quinn"]  # least loaded first, then by name
    assert "paula" not in names and "carlos" not in names and "ava" not in names
    # Clerks may not ask.
    await q.stack.call("GET", f"/tasks/{task}/eligible-assignees", "dana", 403)


async def test_bulk_priority_dry_run_changes_nothing_then_the_real_run_does(q: Queues) -> None:
    first = await q.add_task(due_in=timedelta(hours=5))
    second = await q.add_task(due_in=timedelta(hours=6))
    body = {"task_ids": [first, second], "priority": "urgent", "reason": "client call"}
    dry = (
        await q.stack.call(
            "POST", "/tasks/bulk-priority", "maria", 200, json=body | {"dry_run": True}
        )
    ).json()
    assert [i["result"] for i in dry["items"]] == ["would_change", "would_change"]
    assert (await q.stack.call("GET", f"/tasks/{first}", "maria", 200)).json()[
        "priority"
    ] == "normal"
    done = (await q.stack.call("POST", "/tasks/bulk-priority", "maria", 200, json=body)).json()
    assert [i["result"] for i in done["items"]] == ["changed", "changed"]
    assert (await q.stack.call("GET", f"/tasks/{second}", "maria", 200)).json()[
        "priority"
    ] == "urgent"
    assert "task.priority_changed" in await q.audit_actions(first)
    await q.stack.call("POST", "/tasks/bulk-priority", "carlos", 403, json=body)
