"""The attorney's approval pins the versions it approved, and e-filing files exactly those: a
version uploaded after the approval is never filed unapproved (through the API, Temporal and
PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tests.harness import Stack

# The built-in pipeline with a wait between the approval and the filing (a client's go-ahead),
# so a version can be uploaded after the approval deterministically.
_APPROVE_WAIT_FILE: dict[str, Any] = {
    "key": "approve-wait-efile",
    "name": "Approve, wait, file",
    "input_schema": {"type": "object", "properties": {}},
    "steps": [
        {
            "id": "draft",
            "kind": "human",
            "queue": "drafting",
            "skill": "drafting",
            "outcomes": {"done": "attorney_approval"},
            "output_schema": {
                "type": "object",
                "required": ["document", "signature"],
                "properties": {
                    "document": {"type": "string", "format": "document"},
                    "signature": {"type": "string"},
                },
            },
        },
        {
            "id": "attorney_approval",
            "kind": "approval",
            "not_by": ["draft"],
            "outcomes": {"approved": "go_ahead", "changes_requested": "draft"},
        },
        {
            "id": "go_ahead",
            "kind": "wait",
            "events": {"client_go_ahead": "go"},
            "outcomes": {"go": "efile"},
        },
        {
            "id": "efile",
            "kind": "automated",
            "activity": "efile_submit",
            "outcomes": {"accepted": "end", "rejected": "draft"},
        },
    ],
}
_INPUTS = {"court": "SDNY", "case_number": "1:24-cv-05567", "document_type": "motion"}


async def _drafted_and_approved(stack: Stack) -> tuple[str, str]:
    """An engagement waiting for the go-ahead after its partner approved version 1."""
    await stack.call("POST", "/templates", "maria", 201, json={"definition": _APPROVE_WAIT_FILE})
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], template="approve-wait-efile", inputs=_INPUTS
    )
    draft = await stack.wait_for_task(engagement_id, "draft", "carlos")
    done = await stack.claim_and_complete(draft["id"], "carlos", draft=True)
    document_id = str(done["output"]["document"])
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula")
    await stack.claim_and_complete(approval["id"], "paula", "approved")
    await stack.wait_for_task(engagement_id, "go_ahead", "maria")
    return engagement_id, document_id


async def _go_ahead(stack: Stack, engagement_id: str) -> None:
    await stack.call(
        "POST",
        f"/engagements/{engagement_id}/events",
        "maria",
        200,
        json={"type": "client_go_ahead"},
    )


def _efile(detail: dict[str, Any], visit: int = 1) -> dict[str, Any]:
    filed = [e for e in detail["timeline"] if e["step_id"] == "efile"]
    return dict(filed[visit - 1]["detail"])


async def test_the_approval_pins_the_version_it_approved_in_the_audit(stack: Stack) -> None:
    engagement_id, document_id = await _drafted_and_approved(stack)
    trail = (await stack.call("GET", f"/audit?engagement_id={engagement_id}", "maria", 200)).json()
    approved = [
        e
        for e in trail
        if e["action"] == "task.completed" and e["detail"]["step_id"] == "attorney_approval"
    ]
    assert approved[0]["detail"]["approved_versions"] == [
        {"document_id": document_id, "version": 1}
    ]
    await _go_ahead(stack, engagement_id)
    done = await stack.wait_for_status(engagement_id, "completed", "maria")
    assert _efile(done) | {"envelope_id": None} == {
        "outcome": "accepted",
        "document_id": document_id,
        "version": 1,
        "approved_version": 1,
        "sealed": False,
        "envelope_id": None,
    }


async def test_a_version_uploaded_after_the_approval_is_not_filed(stack: Stack) -> None:
    engagement_id, document_id = await _drafted_and_approved(stack)
    # A manager uploads version 2 after the partner approved version 1.
    await stack.draft_output(engagement_id, "maria", ["MOTION (changed later)"], document_id)
    await _go_ahead(stack, engagement_id)

    # Refused and sent back: the drafter confirms the version, the partner approves it anew.
    rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    refused = _efile(detail)
    assert refused["outcome"] == "rejected"
    assert refused["reason_code"] == "NOT_THE_APPROVED_VERSION"
    assert (refused["document_id"], refused["version"], refused["approved_version"]) == (
        document_id,
        2,
        1,
    )
    assert "envelope_id" not in refused  # nothing reached the court

    await stack.call(
        "POST",
        f"/tasks/{rework['id']}/complete",
        "carlos",
        200,
        json={"outcome": "done", "output": {"document": document_id, "signature": "/s/ Jane Roe"}},
    )
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula", visit=2)
    await stack.call(
        "POST", f"/tasks/{approval['id']}/complete", "paula", 200, json={"outcome": "approved"}
    )
    await stack.wait_for_task(engagement_id, "go_ahead", "maria", visit=2)
    await _go_ahead(stack, engagement_id)
    done = await stack.wait_for_status(engagement_id, "completed", "maria")
    filed = _efile(done, visit=2)
    assert (filed["outcome"], filed["version"], filed["approved_version"]) == ("accepted", 2, 2)


async def test_an_approval_is_refused_when_a_version_arrived_after_the_attorney_opened_it(
    stack: Stack,
) -> None:
    """The pin is what the attorney approved only if they saw it: a version uploaded after the
    approval was claimed must be looked at first (release, claim again, then approve)."""
    await stack.call("POST", "/templates", "maria", 201, json={"definition": _APPROVE_WAIT_FILE})
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], template="approve-wait-efile", inputs=_INPUTS
    )
    draft = await stack.wait_for_task(engagement_id, "draft", "carlos")
    done = await stack.claim_and_complete(draft["id"], "carlos", draft=True)
    document_id = str(done["output"]["document"])
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula")
    path = f"/tasks/{approval['id']}"
    await stack.call("POST", f"{path}/claim", "paula", 200)
    # Meanwhile the firm's partner uploads a corrected version beside the approval.
    await stack.draft_output(engagement_id, "paula", ["MOTION (corrected)"], document_id)

    refused = await stack.call(
        "POST", f"{path}/complete", "paula", 409, json={"outcome": "approved"}
    )
    assert "version 2" in refused.json()["detail"]
    assert (await stack.call("GET", path, "paula", 200)).json()["status"] == "claimed"

    await stack.call("POST", f"{path}/release", "paula", 200)
    await stack.claim_and_complete(approval["id"], "paula", "approved")
    await stack.wait_for_task(engagement_id, "go_ahead", "maria")
    await _go_ahead(stack, engagement_id)
    finished = await stack.wait_for_status(engagement_id, "completed", "maria")
    filed = _efile(finished)
    assert (filed["version"], filed["approved_version"]) == (2, 2)
