"""Minimum necessary for clerks (HIPAA 45 CFR 164.502(b), 164.514(d)): a clerk sees an engagement
(its inputs, tasks' inputs and outputs, timeline) only while it has a task they may work or have
worked, and posts its events or comments on its tasks only while holding one of its tasks.
Everything else is a 404 for them, as for a missing id."""

from __future__ import annotations

import uuid

from domain.enums import Role
from tests.harness import Stack

# (method, path template, body) of every route that shows or touches one engagement.
READS = [
    ("GET", "/engagements/{engagement}", None),
    ("GET", "/tasks/{task}", None),
]
ACTS = [
    ("POST", "/engagements/{engagement}/events", {"type": "payment_received"}),
    ("POST", "/tasks/{task}/comments", {"body": "a note"}),
]


async def _codes(stack: Stack, user: str, engagement: str, task: str) -> dict[str, int]:
    codes = {}
    for method, template, body in READS + ACTS:
        path = template.format(engagement=engagement, task=task)
        response = await stack.call(method, path, user, json=body)
        codes[f"{method} {template}"] = response.status_code
    return codes


async def _listed(stack: Stack, user: str, engagement: str) -> tuple[bool, bool]:
    engagements = (await stack.call("GET", "/engagements?limit=200", user, 200)).json()["items"]
    tasks = (await stack.call("GET", f"/tasks?engagement_id={engagement}", user, 200)).json()
    return any(e["id"] == engagement for e in engagements), bool(tasks["items"])


async def test_a_clerk_sees_an_engagement_only_for_the_work_they_may_do_or_did(
    stack: Stack,
) -> None:
    firm_a, engagement, draft = (
        stack.user_ids["firm_a"],
        stack.user_ids["engagement"],
        stack.user_ids["task"],
    )
    await stack.add_user("quinn", Role.CLERK, ["qc"])  # no drafting: nothing of this draft
    other_firm = await stack.create_engagement("maria", stack.user_ids["firm_b"])
    await stack.wait_for_task(other_firm, "draft", "maria")
    hidden = dict.fromkeys([f"{m} {t}" for m, t, _ in READS + ACTS], 404)

    # Quinn may work no task of it: every route answers as for a missing id, lists omit it.
    assert await _codes(stack, "quinn", engagement, draft) == hidden
    assert await _listed(stack, "quinn", engagement) == (False, False)

    # Carlos may work the draft: he reads the engagement, but acts only once he holds the task.
    before_claim = await _codes(stack, "carlos", engagement, draft)
    assert before_claim["GET /engagements/{engagement}"] == 200
    assert before_claim["GET /tasks/{task}"] == 200
    assert before_claim["POST /engagements/{engagement}/events"] == 403
    assert before_claim["POST /tasks/{task}/comments"] == 403
    assert await _listed(stack, "carlos", engagement) == (True, True)
    await stack.call("POST", f"/tasks/{draft}/claim", "carlos", 200)
    holding = await _codes(stack, "carlos", engagement, draft)
    assert holding["POST /tasks/{task}/comments"] == 201
    # past the holder check: no step waits for this event (409), not a refusal
    assert holding["POST /engagements/{engagement}/events"] == 409

    await stack.call(
        "POST",
        f"/tasks/{draft}/complete",
        "carlos",
        200,
        json={"outcome": "done", "output": await stack.draft_output(engagement, "carlos")},
    )
    # The QC task is Quinn's to work now: she sees the engagement and the draft it checks.
    qc = await stack.wait_for_task(engagement, "qc", "maria")
    assert (await stack.call("GET", f"/engagements/{engagement}", "quinn")).status_code == 200
    assert (await stack.call("GET", f"/tasks/{qc['id']}", "quinn")).status_code == 200
    # Carlos worked it, so he still reads it, but holds nothing: no more events or comments.
    after = await _codes(stack, "carlos", engagement, draft)
    assert after["GET /engagements/{engagement}"] == 200
    assert after["POST /tasks/{task}/comments"] == 403
    assert after["POST /engagements/{engagement}/events"] == 403
    # A manager reads and acts on every firm's engagement.
    managed = await _codes(stack, "maria", engagement, draft)
    assert managed["GET /engagements/{engagement}"] == 200
    assert managed["POST /tasks/{task}/comments"] == 201
    assert firm_a and uuid.UUID(other_firm)


async def test_a_clerk_who_worked_nothing_of_a_firm_reads_none_of_it(stack: Stack) -> None:
    """0 leaks: across every engagement of both firms, a clerk without a matching skill gets
    404 on each engagement route and sees no engagement or task in any list."""
    await stack.add_user("quinn", Role.CLERK, ["qc"])
    engagements = [stack.user_ids["engagement"]]
    for _ in range(2):
        created = await stack.create_engagement("maria", stack.user_ids["firm_b"])
        await stack.wait_for_task(created, "draft", "maria")
        engagements.append(created)
    leaks = []
    for engagement in engagements:
        task = (await stack.wait_for_task(engagement, "draft", "maria"))["id"]
        for route, code in (await _codes(stack, "quinn", engagement, str(task))).items():
            if code != 404:
                leaks.append((engagement, route, code))
        if await _listed(stack, "quinn", engagement) != (False, False):
            leaks.append((engagement, "lists", 200))
    all_tasks = (await stack.call("GET", "/tasks?limit=500", "quinn", 200)).json()["items"]
    assert leaks == [] and all_tasks == []
