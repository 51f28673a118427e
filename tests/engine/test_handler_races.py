"""The next event or completion posted the instant the previous one lands is never lost.

An Update handler that wrote shared state *after* an await raced the interpreter's next step
(samples-python `message_passing/safe_message_handlers`): a wait that led into another wait had
its task id erased and refused every later event. Each pair of step kinds is driven here as fast
as the API allows: the second action is posted in a tight loop from the moment the first returns.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.harness import Stack

FIRM_CLIENT = {"client": "R. Client"}


def _template(key: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "input_schema": {"type": "object", "properties": {"client": {"type": "string"}}},
        "steps": steps,
    }


def _wait(step_id: str, event: str, then: str) -> dict[str, Any]:
    return {
        "id": step_id,
        "kind": "wait",
        "events": {event: "arrived"},
        "outcomes": {"arrived": then},
    }


def _human(step_id: str, then: str) -> dict[str, Any]:
    return {"id": step_id, "kind": "human", "queue": "letters", "outcomes": {"done": then}}


async def _publish_and_start(
    stack: Stack, key: str, steps: list[dict[str, Any]], inputs: dict[str, Any] | None = None
) -> str:
    await stack.call("POST", "/templates", "maria", 201, json={"definition": _template(key, steps)})
    return await stack.create_engagement(
        "maria", stack.user_ids["firm"], key, inputs or FIRM_CLIENT
    )


async def _post_until_accepted(
    stack: Stack, engagement_id: str, event: str, item: int | None = None, timeout: float = 20
) -> httpx.Response:
    """Post `event` as soon as a step waits for it; a 409 before the wait exists is retried."""
    body: dict[str, Any] = {"type": event, "payload": {"received_on": "2026-12-02"}}
    if item is not None:
        body["item"] = item
    deadline = asyncio.get_running_loop().time() + timeout
    response = None
    while asyncio.get_running_loop().time() < deadline:
        response = await stack.call(
            "POST", f"/engagements/{engagement_id}/events", "maria", json=body
        )
        if response.status_code == 200:
            return response
        assert response.status_code == 409, response.text
        await asyncio.sleep(0.02)
    raise AssertionError(f"{event!r} was never accepted: {response.text if response else None}")


async def _complete_when_open(stack: Stack, engagement_id: str, step_id: str) -> None:
    task = await stack.wait_for_task(engagement_id, step_id, "carlos")
    await stack.claim_and_complete(task["id"], "carlos")


async def test_a_wait_that_leads_into_another_wait_takes_its_event(stack: Stack) -> None:
    engagement_id = await _publish_and_start(
        stack,
        "two-waits",
        [
            _wait("await_records", "records_received", "await_bill"),
            _wait("await_bill", "bill_received", "end"),
        ],
    )
    first = await _post_until_accepted(stack, engagement_id, "records_received")
    assert first.json() == {"step_id": "await_records", "outcome": "arrived"}
    second = await _post_until_accepted(stack, engagement_id, "bill_received")
    assert second.json() == {"step_id": "await_bill", "outcome": "arrived"}
    done = await stack.wait_for_status(engagement_id, "completed", "maria")
    received = [e["step_id"] for e in done["timeline"] if e["type"] == "event.received"]
    assert received == ["await_records", "await_bill"]


async def test_a_wait_that_leads_into_a_human_step_opens_its_task(stack: Stack) -> None:
    engagement_id = await _publish_and_start(
        stack,
        "wait-then-draft",
        [_wait("await_records", "records_received", "draft"), _human("draft", "end")],
    )
    await _post_until_accepted(stack, engagement_id, "records_received")
    await _complete_when_open(stack, engagement_id, "draft")
    await stack.wait_for_status(engagement_id, "completed", "maria")


async def test_a_human_step_that_leads_into_a_wait_takes_its_event(stack: Stack) -> None:
    engagement_id = await _publish_and_start(
        stack,
        "draft-then-wait",
        [_human("draft", "await_signature"), _wait("await_signature", "engagement_signed", "end")],
    )
    await _complete_when_open(stack, engagement_id, "draft")
    await _post_until_accepted(stack, engagement_id, "engagement_signed")
    await stack.wait_for_status(engagement_id, "completed", "maria")


async def test_fanout_items_each_take_two_waits_in_a_row(stack: Stack) -> None:
    """As in the built-in medical-records-demand: an extension notice leads into the wait for the
    extension (await_records -> await_extension), one child run per provider."""
    fanout = {
        "id": "per_provider",
        "kind": "fanout",
        "items": "providers",
        "concurrency": 2,
        "outcomes": {"done": "end"},
        "steps": [
            _wait("await_records", "extension_notice", "await_extension"),
            _wait("await_extension", "records_received", "end"),
        ],
    }
    await stack.call(
        "POST",
        "/templates",
        "maria",
        201,
        json={
            "definition": {
                "key": "providers-waits",
                "name": "providers-waits",
                "input_schema": {
                    "type": "object",
                    "properties": {"providers": {"type": "array", "items": {"type": "string"}}},
                },
                "steps": [fanout],
            }
        },
    )
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "providers-waits", {"providers": ["St. Mary's", "Dr. Lee"]}
    )
    for item in (1, 2):
        await _post_until_accepted(stack, engagement_id, "extension_notice", item=item)
    for item in (1, 2):
        await _post_until_accepted(stack, engagement_id, "records_received", item=item)
    await stack.wait_for_status(engagement_id, "completed", "maria")
