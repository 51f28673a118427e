"""Publishing templates, versioning, waits with reminders and timeouts, hold and resume."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.harness import Stack

CLERK_SKILL = "drafting"


def two_step(version_note: str, wait_timeout: str = "PT1H") -> dict[str, Any]:
    """A small SOP: prepare a letter, wait for the client's signature, file it."""
    return {
        "key": "signature-letter",
        "name": f"Signature letter ({version_note})",
        "input_schema": {
            "type": "object",
            "required": ["client"],
            "properties": {"client": {"type": "string"}},
        },
        "steps": [
            {
                "id": "prepare",
                "kind": "human",
                "queue": "letters",
                "skill": CLERK_SKILL,
                "outcomes": {"done": "await_signature"},
            },
            {
                "id": "await_signature",
                "kind": "wait",
                "events": {"engagement_signed": "signed"},
                "reminders": ["PT1S"],
                "timeout": wait_timeout,
                "timeout_outcome": "unsigned",
                "outcomes": {"signed": "end", "unsigned": "chase"},
            },
            {"id": "chase", "kind": "human", "queue": "letters", "outcomes": {"chased": "end"}},
        ],
    }


async def _prepare(stack: Stack, engagement_id: str) -> None:
    task = await stack.wait_for_task(engagement_id, "prepare", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    await stack.call(
        "POST", f"/tasks/{task['id']}/complete", "carlos", 200, json={"outcome": "done"}
    )


async def test_invalid_templates_are_refused_with_every_reason(stack: Stack) -> None:
    broken = two_step("broken")
    broken["steps"][0]["outcomes"] = {"done": "await_signatur"}
    broken["steps"][2]["outcomes"] = {"chased": "chase"}
    response = await stack.call("POST", "/templates", "maria", 422, json={"definition": broken})
    problems = response.json()["problems"]
    assert any("'await_signatur'" in p and "step 'prepare'" in p for p in problems)
    assert any("unreachable" in p or "not reachable" in p for p in problems)
    malformed = await stack.call(
        "POST", "/templates", "maria", 422, json={"yaml": "key: x\nsteps: [1, 2"}
    )
    assert "invalid template" in malformed.json()["detail"]
    await stack.call("POST", "/templates", "carlos", 403, json={"definition": two_step("v1")})
    await stack.call("GET", "/templates/signature-letter", "maria", 404)


async def test_a_new_version_does_not_disturb_running_engagements(stack: Stack) -> None:
    first = (
        await stack.call("POST", "/templates", "maria", 201, json={"definition": two_step("v1")})
    ).json()
    assert first["version"] == 1
    running = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "signature-letter", {"client": "A. Client"}
    )
    changed = two_step("v2")
    changed["steps"][0]["outcomes"] = {"done": "end"}  # v2 skips the signature
    changed["steps"] = changed["steps"][:1]
    second = (
        await stack.call("POST", "/templates", "maria", 201, json={"definition": changed})
    ).json()
    assert second["version"] == 2
    same = (
        await stack.call("POST", "/templates", "maria", 201, json={"definition": changed})
    ).json()
    assert same["version"] == 2  # identical content publishes nothing new

    await _prepare(stack, running)
    detail = (await stack.call("GET", f"/engagements/{running}", "maria", 200)).json()
    assert detail["template"] == {"key": "signature-letter", "version": 1}
    waiting = next(s for s in detail["steps"] if s["id"] == "await_signature")
    for _ in range(50):
        if waiting["status"] == "active":
            break
        await asyncio.sleep(0.1)
        detail = (await stack.call("GET", f"/engagements/{running}", "maria", 200)).json()
        waiting = next(s for s in detail["steps"] if s["id"] == "await_signature")
    assert waiting["waiting_for"] == ["engagement_signed"]

    newer = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "signature-letter", {"client": "B. Client"}
    )
    await _prepare(stack, newer)
    assert (await stack.wait_for_status(newer, "completed", "maria"))["template"]["version"] == 2

    wrong = await stack.call(
        "POST", f"/engagements/{running}/events", "maria", 409, json={"type": "payment_received"}
    )
    assert "not waiting" in wrong.json()["detail"] or "waiting for" in wrong.json()["detail"]
    signed = {"type": "engagement_signed", "payload": {"signed_on": "2026-11-26"}}
    # A clerk holding none of its tasks may not post its events (minimum necessary); a manager may.
    await stack.call("POST", f"/engagements/{running}/events", "carlos", 403, json=signed)
    await stack.call("POST", f"/engagements/{running}/events", "maria", 200, json=signed)
    done = await stack.wait_for_status(running, "completed", "maria")
    received = next(e for e in done["timeline"] if e["type"] == "event.received")
    assert received["actor_id"] == stack.user_ids["maria"]
    assert received["detail"]["outcome"] == "signed"
    await stack.call(
        "POST", f"/engagements/{running}/events", "maria", 409, json={"type": "engagement_signed"}
    )


async def test_a_wait_reminds_then_times_out_into_its_timeout_outcome(stack: Stack) -> None:
    await stack.call(
        "POST", "/templates", "maria", 201, json={"definition": two_step("fast", "PT3S")}
    )
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "signature-letter", {"client": "C. Client"}
    )
    await _prepare(stack, engagement_id)
    chase = await stack.wait_for_task(engagement_id, "chase", "carlos", timeout=30)
    assert chase["status"] == "open"
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    types = [e["type"] for e in detail["timeline"]]
    assert types.index("wait.reminder") < types.index("wait.timed_out")
    timed_out = next(e for e in detail["timeline"] if e["type"] == "wait.timed_out")
    assert timed_out["detail"]["outcome"] == "unsigned"
    assert timed_out["actor_id"] is None


async def test_hold_stops_the_engagement_and_resume_continues_it(stack: Stack) -> None:
    await stack.call("POST", "/templates", "maria", 201, json={"definition": two_step("v1")})
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "signature-letter", {"client": "D. Client"}
    )
    task = await stack.wait_for_task(engagement_id, "prepare", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    await stack.call(
        "POST", f"/engagements/{engagement_id}/hold", "carlos", 403, json={"reason": "x"}
    )
    held = await stack.call(
        "POST",
        f"/engagements/{engagement_id}/hold",
        "maria",
        200,
        json={"reason": "waiting on the client's documents"},
    )
    assert held.json()["status"] == "on_hold"
    assert (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()[
        "status"
    ] == "on_hold"
    await stack.call(
        "POST", f"/engagements/{engagement_id}/hold", "maria", 409, json={"reason": "again"}
    )
    refused = await stack.call(
        "POST", f"/tasks/{task['id']}/complete", "carlos", 409, json={"outcome": "done"}
    )
    assert "on hold" in refused.json()["detail"]
    await stack.call("POST", f"/engagements/{engagement_id}/resume", "maria", 200)
    await stack.call("POST", f"/engagements/{engagement_id}/resume", "maria", 409)
    await stack.call(
        "POST", f"/tasks/{task['id']}/complete", "carlos", 200, json={"outcome": "done"}
    )
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    types = [e["type"] for e in detail["timeline"]]
    assert (
        types.index("engagement.held")
        < types.index("engagement.resumed")
        < types.index("task.completed")
    )
