"""An Idempotency-Key on a completion, an event or a cancel: a retry with the same body gets the
first answer (even after the step it acted on has moved on), and the same key with a different
body is the client's error, answered 422 and acted on never
(draft-ietf-httpapi-idempotency-key-header, "Idempotency-Key reused with a different payload")."""

from __future__ import annotations

from typing import Any

from tests.harness import Stack

KEY = "wait-then-letter"
WAIT_THEN_LETTER: dict[str, Any] = {
    "key": KEY,
    "name": "Wait, then a letter",
    "input_schema": {"type": "object", "properties": {}},
    "steps": [
        {
            "id": "await_signature",
            "kind": "wait",
            "events": {"authorization_signed": "signed"},
            "outcomes": {"signed": "letter"},
        },
        {"id": "letter", "kind": "human", "queue": "letters", "outcomes": {"done": "end"}},
    ],
}


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def _started(stack: Stack) -> str:
    await stack.call("POST", "/templates", "maria", 201, json={"definition": WAIT_THEN_LETTER})
    return await stack.create_engagement("maria", stack.user_ids["firm"], KEY, {})


async def _timeline(stack: Stack, engagement_id: str, kind: str) -> list[dict[str, Any]]:
    body = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    return [e for e in body["timeline"] if e["type"] == kind]


async def test_a_retried_event_gets_its_first_answer_after_the_wait_has_moved_on(
    stack: Stack,
) -> None:
    engagement_id = await _started(stack)
    path = f"/engagements/{engagement_id}/events"
    event = {"type": "authorization_signed", "payload": {"signed_on": "2026-12-01"}}
    await stack.wait_for_task(engagement_id, "await_signature", "maria")
    first = await stack.call("POST", path, "maria", 200, json=event, headers=_key("ev-1"))
    await stack.wait_for_task(engagement_id, "letter", "maria")  # the wait is closed now

    again = await stack.call("POST", path, "maria", 200, json=event, headers=_key("ev-1"))
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replay") == "true"

    other = {"type": "authorization_signed", "payload": {"signed_on": "2026-12-02"}}
    refused = await stack.call("POST", path, "maria", 422, json=other, headers=_key("ev-1"))
    assert "Idempotency-Key" in refused.json()["detail"]
    assert len(await _timeline(stack, engagement_id, "event.received")) == 1
    # The same key on another route is another request: refused before anything is cancelled.
    cancel = f"/engagements/{engagement_id}/cancel"
    await stack.call("POST", cancel, "maria", 422, json={"reason": "n/a"}, headers=_key("ev-1"))
    assert (await stack.call("GET", f"/engagements/{engagement_id}", "maria")).json()[
        "status"
    ] == "running"


async def test_a_completion_key_reused_with_another_outcome_is_refused(stack: Stack) -> None:
    engagement_id = await _started(stack)
    await stack.wait_for_task(engagement_id, "await_signature", "maria")
    await stack.call(
        "POST",
        f"/engagements/{engagement_id}/events",
        "maria",
        200,
        json={"type": "authorization_signed", "payload": {}},
    )
    task = await stack.wait_for_task(engagement_id, "letter", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    path = f"/tasks/{task['id']}/complete"
    body = {"outcome": "done", "note": "sent by certified mail"}
    first = await stack.call("POST", path, "carlos", 200, json=body, headers=_key("c-1"))
    again = await stack.call("POST", path, "carlos", 200, json=body, headers=_key("c-1"))
    assert again.json() == first.json()

    changed = {"outcome": "done", "note": "sent by fax"}
    refused = await stack.call("POST", path, "carlos", 422, json=changed, headers=_key("c-1"))
    assert "Idempotency-Key" in refused.json()["detail"]


async def test_a_retried_cancel_gets_its_first_answer_and_a_changed_one_is_refused(
    stack: Stack,
) -> None:
    engagement_id = await _started(stack)
    await stack.wait_for_task(engagement_id, "await_signature", "maria")
    path = f"/engagements/{engagement_id}/cancel"
    body = {"reason": "client withdrew"}
    first = await stack.call("POST", path, "maria", 200, json=body, headers=_key("x-1"))
    await stack.wait_for_status(engagement_id, "cancelled", "maria")
    again = await stack.call("POST", path, "maria", 200, json=body, headers=_key("x-1"))
    assert again.json() == first.json()
    await stack.call(
        "POST", path, "maria", 422, json={"reason": "duplicate matter"}, headers=_key("x-1")
    )
