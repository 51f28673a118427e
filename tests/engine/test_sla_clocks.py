"""Live SLA clocks: durable timers fire warnings, breaches and escalations; hold pauses them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.harness import Stack


def timed(sla: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": "timed-task",
        "name": "A task on a wall-clock SLA",
        "steps": [
            {
                "id": "work",
                "kind": "human",
                "queue": "timed",
                "outcomes": {"done": "end"},
                "sla": {"calendar": "24x7", **sla},
            },
        ],
    }


async def _start(stack: Stack, sla: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    await stack.call("POST", "/templates", "maria", 201, json={"definition": timed(sla)})
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"], "timed-task", {})
    return engagement_id, await stack.wait_for_task(engagement_id, "work", "carlos")


async def _events(
    stack: Stack, engagement_id: str, until: str, timeout: float = 20
) -> list[dict[str, Any]]:
    for _ in range(int(timeout * 10)):
        timeline = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()[
            "timeline"
        ]
        if any(e["type"] == until for e in timeline):
            return [e for e in timeline if e["type"].startswith("sla.")]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {until} in {[e['type'] for e in timeline]}")


async def test_warning_breach_and_every_escalation_fire_on_time(stack: Stack) -> None:
    engagement_id, task = await _start(
        stack,
        {
            "target": "PT2S",
            "warn_at": [0.5],
            "escalations": [
                {"at": "breach", "action": "raise_priority"},
                {"at": 1.5, "action": "move_queue", "queue": "senior-timed"},
                {"at": 2.0, "action": "notify"},
            ],
        },
    )
    assert task["sla_state"] == "on_track"
    assert task["priority"] == "normal"
    created = datetime.fromisoformat(task["created_at"])
    due = datetime.fromisoformat(task["due_at"])
    assert 1.5 < (due - created).total_seconds() < 2.5

    events = await _events(stack, engagement_id, until="sla.escalated")
    kinds = [(e["type"], e["detail"].get("action")) for e in events]
    assert kinds[:2] == [("sla.warning", None), ("sla.breached", None)]
    assert ("sla.escalated", "raise_priority") in kinds
    for _ in range(50):
        now = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
        if (
            now["queue"] == "senior-timed"
            and len(await _events(stack, engagement_id, "sla.escalated")) >= 5
        ):
            break
        await asyncio.sleep(0.1)
    assert now["sla_state"] == "breached"
    assert now["priority"] == "high"  # one rung up from normal
    assert now["queue"] == "senior-timed"
    # Each threshold fires close to its instant (timers, not polling).
    breach = next(e for e in events if e["type"] == "sla.breached")
    assert 0 <= (datetime.fromisoformat(breach["at"]) - due).total_seconds() < 2

    engine = create_async_engine(stack.settings.database_url)
    async with engine.connect() as connection:
        outbox = (
            await connection.execute(
                text(
                    "SELECT kind, recipients FROM notifications "
                    "WHERE engagement_id = :e ORDER BY id"
                ),
                {"e": engagement_id},
            )
        ).all()
    await engine.dispose()
    assert [row.kind for row in outbox] == ["sla.breached", "sla.escalated"]
    assert "manager" in outbox[0].recipients


async def test_a_task_completed_in_time_is_met(stack: Stack) -> None:
    engagement_id, task = await _start(stack, {"target": "PT30S", "warn_at": [0.5]})
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    await stack.call(
        "POST", f"/tasks/{task['id']}/complete", "carlos", 200, json={"outcome": "done"}
    )
    done = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
    assert done["sla_state"] == "met"
    detail = await stack.wait_for_status(engagement_id, "completed", "maria")
    assert not [e for e in detail["timeline"] if e["type"].startswith("sla.")]


async def test_reassign_escalation_takes_the_task_back_from_its_holder(stack: Stack) -> None:
    engagement_id, task = await _start(
        stack, {"target": "PT1S", "escalations": [{"at": "breach", "action": "reassign"}]}
    )
    held = (await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)).json()
    await _events(stack, engagement_id, until="sla.escalated")
    now = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
    assert now["status"] == "open" and now["assignee_id"] is None
    assert now["generation"] > held["generation"]
    stale = await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        "carlos",
        409,
        json={"outcome": "done", "generation": held["generation"]},
    )
    assert stale.status_code == 409


async def test_hold_pauses_the_clock_and_resume_moves_the_due_time(stack: Stack) -> None:
    engagement_id, task = await _start(stack, {"target": "PT3S", "warn_at": [0.9]})
    due_before = datetime.fromisoformat(task["due_at"])
    await stack.call(
        "POST", f"/engagements/{engagement_id}/hold", "maria", 200, json={"reason": "client"}
    )
    paused = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
    assert paused["sla_state"] == "paused"
    await asyncio.sleep(4)  # longer than the whole target: no breach while held
    timeline = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()[
        "timeline"
    ]
    assert not [e for e in timeline if e["type"].startswith("sla.")]
    await stack.call("POST", f"/engagements/{engagement_id}/resume", "maria", 200)
    for _ in range(50):
        moved = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
        if moved["sla_state"] != "paused" and moved["due_at"] != task["due_at"]:
            break
        await asyncio.sleep(0.1)
    assert (datetime.fromisoformat(moved["due_at"]) - due_before).total_seconds() >= 3.9
    await _events(stack, engagement_id, until="sla.breached")


async def test_tasks_filter_and_sort_by_sla_state(stack: Stack) -> None:
    late_engagement, late = await _start(stack, {"target": "PT1S"})
    await _events(stack, late_engagement, until="sla.breached")
    relaxed = timed({"target": "PT1H"})  # version 2: the next engagement has an hour
    await stack.call("POST", "/templates", "maria", 201, json={"definition": relaxed})
    fresh_engagement = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "timed-task", {}
    )
    fresh = await stack.wait_for_task(fresh_engagement, "work", "carlos")

    breached = (await stack.call("GET", "/tasks?sla_state=breached", "maria", 200)).json()
    assert [t["id"] for t in breached["items"]] == [late["id"]]
    by_sla = (await stack.call("GET", "/tasks?sort=sla&queue=timed", "maria", 200)).json()
    assert [t["id"] for t in by_sla["items"]][:2] == [late["id"], fresh["id"]]
    await stack.call("GET", "/tasks?sla_state=late", "maria", 422)
    await stack.call("GET", "/tasks?sort=chaos", "maria", 422)


async def test_a_firms_contract_overrides_step_targets_and_scales_them_by_priority(
    stack: Stack,
) -> None:
    await stack.call(
        "POST", "/templates", "maria", 201, json={"definition": timed({"target": "PT1H"})}
    )
    firm = stack.user_ids["firm"]
    contract = {
        "steps": {
            "timed-task": {"work": {"target": "PT10M", "calendar": "24x7", "warn_at": [0.5]}}
        },
        "priority_factors": {"urgent": 0.5},
    }
    await stack.call("PUT", f"/firms/{firm}/sla-policy", "carlos", 403, json=contract)
    bad = await stack.call(
        "PUT",
        f"/firms/{firm}/sla-policy",
        "maria",
        422,
        json={
            "steps": {"timed-task": {"nope": {"target": "PT1H"}}, "ghost": {}},
            "priority_factors": {"urgent": 0},
        },
    )
    for expected in ("steps.timed-task.nope", "steps.ghost", "priority_factors.urgent"):
        assert expected in bad.json()["detail"]
    saved = (
        await stack.call("PUT", f"/firms/{firm}/sla-policy", "maria", 200, json=contract)
    ).json()
    assert saved["sla_policy"]["priority_factors"] == {"urgent": 0.5}

    async def target_of(priority: str) -> float:
        engagement_id = await stack.create_engagement(
            "maria", firm, "timed-task", {}, priority=priority
        )
        task = await stack.wait_for_task(engagement_id, "work", "carlos")
        created, due = (
            datetime.fromisoformat(task["created_at"]),
            datetime.fromisoformat(task["due_at"]),
        )
        return (due - created).total_seconds()

    assert (
        590 < await target_of("normal") < 610
    )  # the contract's 10 minutes, not the template's hour
    assert 290 < await target_of("urgent") < 310  # urgent work gets half the time


async def test_raising_the_priority_recomputes_the_due_time_under_the_contract(
    stack: Stack,
) -> None:
    await stack.call(
        "POST", "/templates", "maria", 201, json={"definition": timed({"target": "PT1H"})}
    )
    firm = stack.user_ids["firm"]
    contract = {"priority_factors": {"urgent": 0.001}}  # an urgent task gets 3.6 seconds
    await stack.call("PUT", f"/firms/{firm}/sla-policy", "maria", 200, json=contract)
    engagement_id = await stack.create_engagement("maria", firm, "timed-task", {})
    task = await stack.wait_for_task(engagement_id, "work", "carlos")
    assert task["priority"] == "normal"

    await stack.call(
        "POST", f"/engagements/{engagement_id}/priority", "carlos", 403, json={"priority": "urgent"}
    )
    await stack.call(
        "POST",
        f"/engagements/{engagement_id}/priority",
        "maria",
        200,
        json={"priority": "urgent", "reason": "hearing moved up"},
    )
    now = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
    assert now["priority"] == "urgent"
    created, due = datetime.fromisoformat(now["created_at"]), datetime.fromisoformat(now["due_at"])
    assert (due - created).total_seconds() < 5
    await _events(stack, engagement_id, until="sla.breached")  # the new, earlier instant fires
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    assert detail["priority"] == "urgent"
    changed = next(e for e in detail["timeline"] if e["type"] == "engagement.priority_changed")
    assert changed["detail"]["reason"] == "hearing moved up"


def fanned_out() -> dict[str, Any]:
    """One timed human step per input item, each item a child run of the engagement."""
    return {
        "key": "timed-items",
        "name": "Timed work per item",
        "input_schema": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": {"type": "string"}}},
        },
        "steps": [
            {
                "id": "per_item",
                "kind": "fanout",
                "items": "items",
                "concurrency": 5,
                "outcomes": {"done": "end"},
                "steps": [
                    {
                        "id": "work",
                        "kind": "human",
                        "queue": "timed",
                        "outcomes": {"done": "end"},
                        "sla": {"calendar": "24x7", "target": "PT4S"},
                    }
                ],
            }
        ],
    }


async def test_holding_an_engagement_holds_its_fan_out_items_too(stack: Stack) -> None:
    await stack.call("POST", "/templates", "maria", 201, json={"definition": fanned_out()})
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "timed-items", {"items": ["a", "b"]}
    )
    task = await stack.wait_for_task(engagement_id, "work", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    await stack.call(
        "POST", f"/engagements/{engagement_id}/hold", "maria", 200, json={"reason": "client"}
    )
    # The item's own run refuses work and keeps its clock still, like its parent.
    refused = await stack.call(
        "POST", f"/tasks/{task['id']}/complete", "carlos", 409, json={"outcome": "done"}
    )
    assert "on hold" in refused.json()["detail"]
    await asyncio.sleep(5)  # longer than the item's whole SLA target
    timeline = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()[
        "timeline"
    ]
    assert not [e for e in timeline if e["type"].startswith("sla.")]

    await stack.call("POST", f"/engagements/{engagement_id}/resume", "maria", 200)
    await stack.call(
        "POST", f"/tasks/{task['id']}/complete", "carlos", 200, json={"outcome": "done"}
    )
    other = next(
        t
        for t in (
            await stack.call("GET", f"/tasks?engagement_id={engagement_id}", "maria", 200)
        ).json()["items"]
        if t["id"] != task["id"]
    )
    await stack.claim_and_complete(other["id"], "carlos")
    await stack.wait_for_status(engagement_id, "completed", "maria")
    await stack.record_history(engagement_id, "fanout-held-and-resumed")


async def _reassign_on_breach(stack: Stack, to: str) -> tuple[str, dict[str, Any]]:
    template = timed(
        {"target": "PT1S", "escalations": [{"at": "breach", "action": "reassign", "to": to}]}
    )
    template["steps"][0]["skill"] = "drafting"
    await stack.call("POST", "/templates", "maria", 201, json={"definition": template})
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"], "timed-task", {})
    task = await stack.wait_for_task(engagement_id, "work", "carlos")
    held = (await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)).json()
    events = await _events(stack, engagement_id, until="sla.escalated")
    return engagement_id, {"held": held, "escalated": events[-1]}


async def test_a_reassign_escalation_gives_the_task_to_a_qualified_user_with_a_lease(
    stack: Stack,
) -> None:
    _, seen = await _reassign_on_breach(stack, "dana")
    task_id = seen["held"]["id"]
    now = (await stack.call("GET", f"/tasks/{task_id}", "maria", 200)).json()
    assert now["status"] == "claimed" and now["assignee_id"] == stack.user_ids["dana"]
    assert now["lease_expires_at"] is not None
    assert now["generation"] > seen["held"]["generation"]
    assert seen["escalated"]["detail"]["assignee_id"] == stack.user_ids["dana"]
    # The old holder's claim is gone: the task is no longer his work, so he no longer sees it
    # (minimum necessary, 404); the new holder completes.
    await stack.call(
        "POST",
        f"/tasks/{task_id}/complete",
        "carlos",
        404,
        json={"outcome": "done", "generation": seen["held"]["generation"]},
    )
    await stack.call("POST", f"/tasks/{task_id}/complete", "dana", 200, json={"outcome": "done"})


async def test_a_reassign_escalation_to_someone_who_may_not_work_it_leaves_it_queued(
    stack: Stack,
) -> None:
    """quinn lacks the step's skill: the workflow refuses the hand-over (the one rule,
    domain.eligibility), the task goes back to its queue and the managers are told why."""
    _, seen = await _reassign_on_breach(stack, "quinn")
    now = (await stack.call("GET", f"/tasks/{seen['held']['id']}", "maria", 200)).json()
    assert now["status"] == "open" and now["assignee_id"] is None
    assert "drafting" in seen["escalated"]["detail"]["refused"]
    alerts = (await stack.call("GET", "/notifications", "maria", 200)).json()
    assert "sla.escalated" in [a["kind"] for a in alerts]
