"""A partner of one firm never sees or touches another firm's objects: every attempt is a 404,
exactly as for an id that does not exist (so ids of other firms cannot even be confirmed)."""

from __future__ import annotations

import uuid

import pytest

from tests.harness import Stack

# (method, path, body) per object type; {firm}, {engagement}, {task} are firm A's objects.
READS: list[tuple[str, str, str | None]] = [
    ("GET", "/firms/{firm}", None),
    ("GET", "/engagements/{engagement}", None),
    ("GET", "/tasks/{task}", None),
    ("GET", "/audit?engagement_id={engagement}", None),
    ("GET", "/audit?task_id={task}", None),
    ("GET", "/audit/export?firm_id={firm}", None),
    ("GET", "/audit/export?engagement_id={engagement}", None),
]
WRITES: list[tuple[str, str, str | None]] = [
    ("POST", "/engagements", "create"),
    ("POST", "/tasks/{task}/claim", None),
]


def _fill(path: str, ids: dict[str, str]) -> str:
    return path.format(firm=ids["firm_a"], engagement=ids["engagement"], task=ids["task"])


def _fake(path: str) -> str:
    fake = str(uuid.uuid4())
    return path.format(firm=fake, engagement=fake, task=fake)


@pytest.mark.parametrize(("method", "path", "body"), READS + WRITES)
async def test_another_firms_partner_gets_404_as_for_a_missing_id(
    stack: Stack, method: str, path: str, body: str | None
) -> None:
    ids = stack.user_ids
    payload = None
    if body == "create":
        payload = {
            "firm_id": ids["firm_a"],
            "template": "draft-qc-efile",
            "title": "Intrusion",
            "matter_ref": "X-1",
            "inputs": {"court": "SDNY", "case_number": "1:24-cv-1", "document_type": "motion"},
        }
    foreign = await stack.call(method, _fill(path, ids), "pete", json=payload)
    assert foreign.status_code == 404, (path, foreign.status_code, foreign.text)
    if body is None:
        missing = await stack.call(method, _fake(path), "pete")
        assert missing.status_code == 404
        assert foreign.json()["detail"] == missing.json()["detail"]
    own = await stack.call(method, _fill(path, ids), "paula", json=payload)
    assert own.status_code != 404, (path, own.status_code, own.text)


async def test_lists_hold_only_the_partners_own_firm(stack: Stack) -> None:
    firm_b = stack.user_ids["firm_b"]
    firms = (await stack.call("GET", "/firms", "pete", 200)).json()
    assert [f["id"] for f in firms] == [firm_b]
    engagements = (await stack.call("GET", "/engagements", "pete", 200)).json()
    assert engagements["items"] == []
    tasks = await stack.call("GET", f"/tasks?firm_id={stack.user_ids['firm_a']}", "pete", 200)
    assert tasks.json()["items"] == []
    audit = (await stack.call("GET", "/audit", "pete", 200)).json()
    assert {e["firm_id"] for e in audit} <= {firm_b}
