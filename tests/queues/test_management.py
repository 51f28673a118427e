"""Manager tools: assignment, bulk reassign, priority, availability, queue board, comments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.queues.conftest import Queues


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/tasks/{task}/assign", {"assignee": "dana"}),
        ("POST", "/tasks/bulk-reassign", {"task_ids": ["{task}"], "assignee": "dana"}),
        ("POST", "/tasks/{task}/priority", {"priority": "urgent"}),
        ("PATCH", "/queues/drafting", {"wip_limit": 3}),
        ("GET", "/clerks", None),
        ("PATCH", "/clerks/{dana}", {"availability": "away"}),
        ("POST", "/clerks/{dana}/redistribute", {}),
    ],
)
async def test_manager_operations_refuse_clerks(
    q: Queues, method: str, path: str, body: dict[str, object] | None
) -> None:
    task = await q.add_task()
    fill = {"task": task, "dana": q.stack.user_ids["dana"]}
    path = path.format(**fill)
    if body and "task_ids" in body:
        body = {**body, "task_ids": [task]}
    response = await q.stack.call(method, path, "carlos", json=body)
    assert response.status_code == 403, response.text


async def test_reassign_fences_the_previous_holder_and_keeps_the_audit_trail(q: Queues) -> None:
    task = await q.add_task()
    first = (await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()
    await q.stack.call("POST", f"/tasks/{task}/release", "carlos", 200)
    await q.stack.call("POST", f"/tasks/{task}/claim", "carlos", 200)
    moved = await q.stack.call(
        "POST",
        f"/tasks/{task}/assign",
        "maria",
        200,
        json={"assignee": "dana", "reason": "carlos is on the Smith trial"},
    )
    assert moved.json()["assignee_id"] == q.stack.user_ids["dana"]
    # No longer his work: the old holder no longer sees the task (minimum necessary, 404).
    await q.stack.call(
        "POST",
        f"/tasks/{task}/complete",
        "carlos",
        404,
        json={"outcome": "done", "generation": first["generation"] + 1},
    )
    assert await q.audit_actions(task) == [
        "task.claimed",
        "task.released",
        "task.claimed",
        "task.assigned",
    ]
    trail = (await q.stack.call("GET", f"/audit?task_id={task}", "maria", 200)).json()
    assigned = [e for e in trail if e["action"] == "task.assigned"]
    assert assigned[0]["detail"]["reason"] == "carlos is on the Smith trial"
    assert assigned[0]["detail"]["previous_assignee_id"] == q.stack.user_ids["carlos"]


async def test_assignment_checks_skill_and_availability(q: Queues) -> None:
    qc_task = await q.add_task("qc", skill="qc")
    lacking = await q.stack.call(
        "POST", f"/tasks/{qc_task}/assign", "maria", json={"assignee": "carlos"}
    )
    assert lacking.status_code == 422 and "skill" in lacking.json()["detail"]
    await q.stack.call(
        "PUT", "/clerks/me/availability", "quinn", 200, json={"availability": "away"}
    )
    away = await q.stack.call(
        "POST", f"/tasks/{qc_task}/assign", "maria", 409, json={"assignee": "quinn"}
    )
    assert "away" in away.json()["detail"]
    await q.stack.call("POST", f"/tasks/{qc_task}/assign", "maria", 200, json={"assignee": "dana"})


async def test_bulk_reassign_dry_run_changes_nothing_and_reports_each_item(q: Queues) -> None:
    plain = await q.add_task()
    needs_qc = await q.add_task("qc", skill="qc")
    await q.stack.call("POST", f"/tasks/{plain}/claim", "dana", 200)
    request = {"task_ids": [plain, needs_qc], "assignee": "carlos", "dry_run": True}
    dry = (await q.stack.call("POST", "/tasks/bulk-reassign", "maria", 200, json=request)).json()
    assert [i["result"] for i in dry["items"]] == ["would_reassign", "refused"]
    assert "skill" in dry["items"][1]["detail"]
    unchanged = (await q.stack.call("GET", f"/tasks/{plain}", "maria", 200)).json()
    assert unchanged["assignee_id"] == q.stack.user_ids["dana"]
    assert "task.assigned" not in await q.audit_actions(plain)

    real = await q.stack.call(
        "POST", "/tasks/bulk-reassign", "maria", 200, json={**request, "dry_run": False}
    )
    assert [i["result"] for i in real.json()["items"]] == ["reassigned", "refused"]
    moved = (await q.stack.call("GET", f"/tasks/{plain}", "maria", 200)).json()
    assert moved["assignee_id"] == q.stack.user_ids["carlos"]


async def test_redistributing_an_away_clerk_returns_their_tasks_to_the_queue(q: Queues) -> None:
    task = await q.add_task()
    await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)
    carlos = q.stack.user_ids["carlos"]
    await q.stack.call("PATCH", f"/clerks/{carlos}", "maria", 200, json={"availability": "away"})
    out = await q.stack.call("POST", f"/clerks/{carlos}/redistribute", "maria", 200, json={})
    assert out.json()["returned"] == [task]
    assert "task.redistributed" in await q.audit_actions(task)
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana", 200)).json()["id"] == task


async def test_priority_change_reorders_the_queue(q: Queues) -> None:
    first = await q.add_task(priority=2)
    later = await q.add_task(priority=2)
    await q.stack.call(
        "POST",
        f"/tasks/{later}/priority",
        "maria",
        200,
        json={"priority": "urgent", "reason": "court moved the hearing"},
    )
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana", 200)).json()["id"] == later
    assert (await q.stack.call("POST", "/tasks/claim-next", "dana", 200)).json()["id"] == first
    assert "task.priority_changed" in await q.audit_actions(later)


async def test_queue_board_shows_depth_claimed_at_risk_and_load(q: Queues) -> None:
    await q.add_task("drafting", due_in=timedelta(minutes=10))
    await q.add_task("drafting", due_in=timedelta(minutes=-5))
    await q.add_task("drafting", due_in=timedelta(days=3))
    await q.stack.call("POST", "/tasks/claim-next", "carlos", 200, json={"queues": ["drafting"]})
    board = (await q.stack.call("GET", "/queues", "carlos", 200)).json()
    drafting = next(b for b in board if b["name"] == "drafting")
    assert drafting["depth"] == 2 and drafting["claimed"] == 1
    assert drafting["at_risk"] == 1 and drafting["breached"] == 1
    assert drafting["oldest_age_seconds"] >= 0
    assert drafting["load"] == [
        {"user_id": q.stack.user_ids["carlos"], "username": "carlos", "held": 1}
    ]


async def test_comments_are_listed_on_the_task_and_audited(q: Queues) -> None:
    task = await q.add_task()
    await q.stack.call("POST", "/tasks/claim-next", "carlos", 200)
    await q.stack.call(
        "POST", f"/tasks/{task}/comments", "carlos", 201, json={"body": "Exhibit B missing"}
    )
    await q.stack.call("POST", f"/tasks/{task}/comments", "carlos", 422, json={"body": ""})
    detail = (await q.stack.call("GET", f"/tasks/{task}", "maria", 200)).json()
    assert [c["body"] for c in detail["comments"]] == ["Exhibit B missing"]
    assert "task.commented" in await q.audit_actions(task)
