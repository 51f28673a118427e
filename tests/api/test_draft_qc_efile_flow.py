"""A motion goes draft -> QC -> e-file through the HTTP API, on real Temporal and PostgreSQL."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from domain.enums import Role
from tests.harness import MOTION_PAGES, SIGNATURE, Stack
from tests.sample_files import scanned_pdf


async def _draft(
    stack: Stack,
    clerk: str,
    engagement_id: str,
    visit: int = 1,
    pages: tuple[str, ...] = MOTION_PAGES,
    scanned: bool = False,
) -> dict[str, Any]:
    """The drafter uploads the PDF (a new version of the draft on rework) and completes."""
    task = await stack.wait_for_task(engagement_id, "draft", clerk, visit=visit)
    if task["status"] == "open":
        await stack.call("POST", f"/tasks/{task['id']}/claim", clerk, 200)
    existing = (await stack.call("GET", f"/engagements/{engagement_id}/documents", clerk)).json()
    document_id = existing[0]["id"] if existing else None
    if scanned:
        files = {"file": ("motion.pdf", scanned_pdf(), "application/pdf")}
        path = (
            f"/documents/{document_id}/versions"
            if document_id
            else f"/engagements/{engagement_id}/documents"
        )
        uploaded = await stack.call(
            "POST", path, clerk, 201, files=files, data={"task_id": task["id"]}
        )
        output = {"document": uploaded.json()["id"], "signature": SIGNATURE}
    else:
        output = await stack.draft_output(engagement_id, clerk, pages, document_id)
    done = await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        clerk,
        200,
        json={"outcome": "done", "output": output},
    )
    return dict(done.json())


async def _approve(stack: Stack, engagement_id: str, visit: int = 1) -> None:
    """The firm's partner signs off the filing (the attorney gate before e-filing)."""
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula", visit=visit)
    assert approval["kind"] == "approval"
    if visit == 1:
        claimed = (await stack.call("POST", "/tasks/claim-next", "paula", 200)).json()
        assert claimed["id"] == approval["id"]
    else:  # a re-approval goes straight back to the partner who approved before
        assert approval["assignee_id"] == stack.user_ids["paula"]
    await stack.call(
        "POST", f"/tasks/{approval['id']}/complete", "paula", 200, json={"outcome": "approved"}
    )


async def test_motion_is_drafted_rejected_once_reworked_approved_and_filed(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "carlos")

    draft = (await stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()
    assert (draft["engagement_id"], draft["step_id"]) == (engagement_id, "draft")
    assert draft["allowed_outcomes"] == ["done"]
    assert draft["output_schema"]["properties"]["document"]["format"] == "document"
    completed = await _draft(stack, "carlos", engagement_id)
    assert completed["status"] == "completed"
    assert completed["completed_by"] == stack.user_ids["carlos"]

    qc = await stack.wait_for_task(engagement_id, "qc", "dana")
    claimed = (
        await stack.call("POST", "/tasks/claim-next", "dana", 200, json={"queues": ["qc"]})
    ).json()
    assert claimed["id"] == qc["id"]
    await stack.call(
        "POST",
        f"/tasks/{qc['id']}/complete",
        "dana",
        200,
        json={"outcome": "rejected", "output": {"reasons": ["caption lacks the case number"]}},
    )

    # The rework goes straight back to the same drafter.
    rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    assert rework["status"] == "claimed"
    assert rework["assignee_id"] == stack.user_ids["carlos"]
    await _draft(stack, "carlos", engagement_id, visit=2)

    qc2 = await stack.wait_for_task(engagement_id, "qc", "dana", visit=2)
    await stack.call("POST", f"/tasks/{qc2['id']}/claim", "dana", 200)
    await stack.call(
        "POST", f"/tasks/{qc2['id']}/complete", "dana", 200, json={"outcome": "approved"}
    )
    await _approve(stack, engagement_id)

    done = await stack.wait_for_status(engagement_id, "completed", "maria")
    steps = {s["id"]: s for s in done["steps"]}
    # No FRCP 5.2 exemption was claimed: its approval step is the one never visited.
    assert steps.pop("exemption_approval")["status"] == "pending"
    assert {s["status"] for s in steps.values()} == {"completed"}
    assert steps["draft"]["visits"] == 2 and steps["qc"]["visits"] == 2
    assert steps["redaction_scan"]["visits"] == 2 and steps["attorney_approval"]["visits"] == 1
    filed = [
        e for e in done["timeline"] if e["type"] == "step.completed" and e["step_id"] == "efile"
    ]
    assert filed[0]["detail"]["outcome"] == "accepted"
    assert filed[0]["detail"]["envelope_id"].startswith("SBX-")
    assert done["timeline"][-1]["type"] == "engagement.completed"

    trail = (await stack.call("GET", f"/audit?engagement_id={engagement_id}", "maria", 200)).json()
    who_did = [(e["action"], e["actor_id"]) for e in trail if e["action"] == "task.completed"]
    assert who_did == [
        ("task.completed", stack.user_ids["carlos"]),
        ("task.completed", stack.user_ids["dana"]),
        ("task.completed", stack.user_ids["carlos"]),
        ("task.completed", stack.user_ids["dana"]),
        ("task.completed", stack.user_ids["paula"]),  # the approver is recorded
    ]
    assert trail[0]["action"] == "engagement.created"
    assert trail[0]["actor_id"] == stack.user_ids["maria"]
    assert trail[-1]["action"] == "engagement.completed"
    await stack.record_history(engagement_id, "draft-qc-efile")


async def test_court_rejection_returns_the_filing_to_its_drafter(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("POST", "/tasks/claim-next", "carlos", 200)
    await _draft(stack, "carlos", engagement_id, scanned=True)  # a scan with no text layer
    qc = await stack.wait_for_task(engagement_id, "qc", "quinn")
    await stack.call("POST", f"/tasks/{qc['id']}/claim", "quinn", 200)
    await stack.call(
        "POST", f"/tasks/{qc['id']}/complete", "quinn", 200, json={"outcome": "approved"}
    )
    await _approve(stack, engagement_id)

    rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    assert rework["assignee_id"] == stack.user_ids["carlos"]
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    rejection = next(e for e in detail["timeline"] if e["step_id"] == "efile")
    assert rejection["detail"]["outcome"] == "rejected"
    assert rejection["detail"]["reason_code"] == "NOT_TEXT_SEARCHABLE"
    assert rejection["detail"]["version"] == 1  # the court read the PDF itself

    await _draft(stack, "carlos", engagement_id, visit=2)
    qc2 = await stack.wait_for_task(engagement_id, "qc", "quinn", visit=2)
    await stack.call("POST", f"/tasks/{qc2['id']}/claim", "quinn", 200)
    await stack.call(
        "POST", f"/tasks/{qc2['id']}/complete", "quinn", 200, json={"outcome": "approved"}
    )
    await _approve(stack, engagement_id, visit=2)
    await stack.wait_for_status(engagement_id, "completed", "maria")
    await stack.record_history(engagement_id, "draft-qc-efile-court-rejection")


async def test_qc_rejections_beyond_max_rework_escalate_to_a_manager(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("POST", "/tasks/claim-next", "carlos", 200)
    for visit in range(1, 5):  # max_rework is 3: the fourth rejection escalates
        await _draft(stack, "carlos", engagement_id, visit=visit)
        qc = await stack.wait_for_task(engagement_id, "qc", "quinn", visit=visit)
        await stack.call("POST", f"/tasks/{qc['id']}/claim", "quinn", 200)
        await stack.call(
            "POST",
            f"/tasks/{qc['id']}/complete",
            "quinn",
            200,
            json={"outcome": "rejected", "note": f"round {visit}: exhibits missing"},
        )
        rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=visit + 1)
        assert rework["escalated"] is (visit == 4)
    assert rework["queue"] == "escalations"
    assert rework["priority"] == "urgent"
    assert rework["assignee_id"] is None
    await stack.record_history(engagement_id, "draft-qc-efile-escalated")


async def test_drafter_cannot_qc_their_own_draft(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "dana")
    await stack.call("POST", "/tasks/claim-next", "dana", 200)
    await _draft(stack, "dana", engagement_id)
    qc = await stack.wait_for_task(engagement_id, "qc", "dana")

    # claim-next never offers it, a direct claim is refused, and so is completing it.
    assert (
        await stack.call("POST", "/tasks/claim-next", "dana", json={"queues": ["qc"]})
    ).status_code == 204
    refused = await stack.call("POST", f"/tasks/{qc['id']}/claim", "dana", 403)
    assert "separation of duties" in refused.json()["detail"]
    await stack.call(
        "POST", f"/tasks/{qc['id']}/complete", "dana", 403, json={"outcome": "approved"}
    )
    await stack.call("POST", f"/tasks/{qc['id']}/assign", "maria", 403, json={"assignee": "dana"})

    # Someone else may.
    await stack.call("POST", f"/tasks/{qc['id']}/claim", "quinn", 200)


async def test_completing_a_task_you_do_not_hold_is_a_conflict(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")
    body = {"outcome": "done", "output": {"document": str(uuid.uuid4()), "signature": SIGNATURE}}
    refused = await stack.call("POST", f"/tasks/{task['id']}/complete", "carlos", 409, json=body)
    assert "claim it first" in refused.json()["detail"]
    await stack.call("POST", f"/tasks/{task['id']}/claim", "dana", 200)
    # Dana's now, and Carlos never worked it: minimum necessary hides it from him (404).
    await stack.call("POST", f"/tasks/{task['id']}/complete", "carlos", 404, json=body)
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 404)
    await stack.call("POST", f"/tasks/{task['id']}/release", "carlos", 404)
    await stack.call("POST", f"/tasks/{task['id']}/claim", "maria", 409)  # a second holder


async def test_clerk_without_the_skill_never_receives_the_task(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    task = await stack.wait_for_task(engagement_id, "draft", "maria")
    assert (await stack.call("POST", "/tasks/claim-next", "quinn")).status_code == 204
    # Not hers to work, so not hers to see (minimum necessary): as for a missing id.
    await stack.call("POST", f"/tasks/{task['id']}/claim", "quinn", 404)
    assert (await stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()["id"] == task["id"]


async def test_wrong_outcome_and_invalid_output_are_refused_and_change_nothing(
    stack: Stack,
) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "carlos")
    task = (await stack.call("POST", "/tasks/claim-next", "carlos", 200)).json()
    wrong = await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        "carlos",
        422,
        json={"outcome": "approved", "output": {"signature": SIGNATURE}},
    )
    assert "allowed: done" in wrong.json()["detail"]
    invalid = await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        "carlos",
        422,
        json={"outcome": "done", "output": {"document": 12, "signature": SIGNATURE}},
    )
    assert "output.document" in invalid.json()["detail"]
    # A document field must name a document of this engagement, uploaded first.
    for stranger in ("draft.pdf", str(uuid.uuid4())):
        refused = await stack.call(
            "POST",
            f"/tasks/{task['id']}/complete",
            "carlos",
            422,
            json={"outcome": "done", "output": {"document": stranger, "signature": SIGNATURE}},
        )
        assert "document" in refused.json()["detail"]
    missing = await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        "carlos",
        422,
        json={"outcome": "done", "output": {}},
    )
    assert "signature" in missing.json()["detail"]
    unknown_field = await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        "carlos",
        422,
        json={"outcome": "done", "outptu": {}},
    )
    assert unknown_field.json()["errors"][0]["field"] == "outptu"
    still = (await stack.call("GET", f"/tasks/{task['id']}", "carlos", 200)).json()
    assert still["status"] == "claimed" and still["outcome"] is None
    await _draft(stack, "carlos", engagement_id)


async def test_two_clerks_racing_for_one_task_only_one_gets_it(stack: Stack) -> None:
    import asyncio

    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "carlos")
    results = await asyncio.gather(
        *[stack.call("POST", "/tasks/claim-next", clerk) for clerk in ["carlos", "dana"] * 8]
    )
    codes = Counter(r.status_code for r in results)
    assert codes == Counter({200: 1, 204: 15})
    claims = (await stack.call("GET", f"/audit?engagement_id={engagement_id}", "maria", 200)).json()
    assert [e["action"] for e in claims].count("task.claimed") == 1


async def test_cancel_closes_open_tasks_and_keeps_the_audit_trail(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call(
        "POST", f"/engagements/{engagement_id}/cancel", "carlos", 403, json={"reason": "x"}
    )
    await stack.call("POST", f"/engagements/{engagement_id}/cancel", "maria", 422, json={})
    await stack.call(
        "POST",
        f"/engagements/{engagement_id}/cancel",
        "maria",
        200,
        json={"reason": "client settled"},
    )
    detail = await stack.wait_for_status(engagement_id, "cancelled", "maria")
    assert detail["timeline"][-1]["detail"]["reason"] == "client settled"
    cancelled = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
    assert cancelled["status"] == "cancelled"
    # Closed, and never his work: hidden from the clerk; the manager is told it is closed.
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 404)
    await stack.call("POST", f"/tasks/{task['id']}/claim", "maria", 409)
    actions = [
        e["action"]
        for e in (
            await stack.call("GET", f"/audit?engagement_id={engagement_id}", "maria", 200)
        ).json()
    ]
    assert {
        "engagement.created",
        "engagement.cancel_requested",
        "task.cancelled",
        "engagement.cancelled",
    } <= set(actions)
    await stack.call(
        "POST", f"/engagements/{engagement_id}/cancel", "maria", 409, json={"reason": "again"}
    )
    await stack.record_history(engagement_id, "draft-qc-efile-cancelled")


async def test_only_a_partner_of_the_firm_may_approve_the_filing(stack: Stack) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("POST", "/tasks/claim-next", "carlos", 200)
    await _draft(stack, "carlos", engagement_id)
    qc = await stack.wait_for_task(engagement_id, "qc", "quinn")
    await stack.call("POST", f"/tasks/{qc['id']}/claim", "quinn", 200)
    await stack.call(
        "POST", f"/tasks/{qc['id']}/complete", "quinn", 200, json={"outcome": "approved"}
    )
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "maria")

    # Clerks and managers never receive it and cannot take it; another firm's partner cannot see it.
    assert (await stack.call("POST", "/tasks/claim-next", "dana")).status_code == 204
    await stack.call("POST", f"/tasks/{approval['id']}/claim", "dana", 404)  # no work of hers
    await stack.call("POST", f"/tasks/{approval['id']}/claim", "maria", 403)
    other_firm = await stack.create_firm("maria", name="Other Firm LLP")
    await stack.add_user("otto", Role.PARTNER, firm=other_firm)
    await stack.call("POST", f"/tasks/{approval['id']}/claim", "otto", 404)
    assert (await stack.call("POST", "/tasks/claim-next", "otto")).status_code == 204

    await stack.call("POST", f"/tasks/{approval['id']}/claim", "paula", 200)
    refused = await stack.call(
        "POST",
        f"/tasks/{approval['id']}/complete",
        "paula",
        422,
        json={"outcome": "changes_requested"},
    )
    assert "needs a reason" in refused.json()["detail"]
    await stack.call(
        "POST",
        f"/tasks/{approval['id']}/complete",
        "paula",
        200,
        json={"outcome": "changes_requested", "note": "cite the scheduling order"},
    )
    rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    assert rework["assignee_id"] == stack.user_ids["carlos"]


async def test_an_ssn_on_page_two_sends_the_draft_back_and_a_clean_version_is_filed(
    stack: Stack,
) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("POST", "/tasks/claim-next", "carlos", 200)
    leaky = ("DECLARATION OF J. DOE", "Declarant's SSN: 123-45-6789", "I declare under penalty")
    await _draft(stack, "carlos", engagement_id, pages=leaky)
    rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    assert rework["assignee_id"] == stack.user_ids["carlos"]
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    scan = next(e for e in detail["timeline"] if e["step_id"] == "redaction_scan")
    assert scan["detail"]["outcome"] == "flagged"
    (finding,) = scan["detail"]["findings"]
    assert (finding["kind"], finding["page"], finding["version"]) == ("ssn", 2, 1)
    assert scan["detail"]["where"] == ["ssn on page 2 of 'Motion to compel' (v1)"]
    assert "123-45" not in str(detail["timeline"])  # the finding never echoes the identifier

    # The corrected second version is clean; QC, the attorney and the court take it.
    await _draft(
        stack,
        "carlos",
        engagement_id,
        visit=2,
        pages=("DECLARATION OF J. DOE", "Declarant's SSN: XXX-XX-6789", "I declare under penalty"),
    )
    qc = await stack.wait_for_task(engagement_id, "qc", "quinn")
    await stack.claim_and_complete(qc["id"], "quinn", "approved")
    await _approve(stack, engagement_id)
    done = await stack.wait_for_status(engagement_id, "completed", "maria")
    filed = next(e for e in done["timeline"] if e["step_id"] == "efile")
    assert (filed["detail"]["outcome"], filed["detail"]["version"]) == ("accepted", 2)
    await stack.record_history(engagement_id, "draft-qc-efile-documents")
