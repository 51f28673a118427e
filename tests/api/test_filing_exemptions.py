"""FRCP 5.2(b), (d), (f) and (h) in the drafting pipeline, through the API, Temporal and
PostgreSQL: a drafter claims an exemption, an attorney approves it, and the filing proceeds, under
seal where the route says so; never the identifiers in the timeline or the audit.
Rule text: https://www.law.cornell.edu/rules/frcp/rule_5.2"""

from __future__ import annotations

import json
from typing import Any

from domain.filing_exemptions import EXEMPTIONS
from tests.harness import SIGNATURE, Stack
from tests.sample_files import pdf

SSN = "123-45-6789"
WITH_SSN = ["MOTION TO COMPEL DISCOVERY", f"Plaintiff's SSN is {SSN}"]
REDACTED = ["MOTION TO COMPEL DISCOVERY", "Plaintiff's SSN is XXX-XX-6789"]
ORDER = "ECF No. 41, order granting leave to file under seal"


async def _draft_task(stack: Stack) -> tuple[str, str]:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    return engagement_id, str(task["id"])


async def _upload(
    stack: Stack, engagement_id: str, task_id: str, pages: list[str], title: str = "Motion"
) -> str:
    uploaded = await stack.call(
        "POST",
        f"/engagements/{engagement_id}/documents",
        "carlos",
        201,
        files={"file": ("motion.pdf", pdf(pages), "application/pdf")},
        data={"kind": "draft", "title": title, "task_id": task_id},
    )
    return str(uploaded.json()["id"])


async def _complete(
    stack: Stack, task_id: str, output: dict[str, Any], expect: int = 200
) -> dict[str, Any]:
    done = await stack.call(
        "POST",
        f"/tasks/{task_id}/complete",
        "carlos",
        expect,
        json={"outcome": "done", "output": {"signature": SIGNATURE, **output}},
    )
    return dict(done.json())


async def _approve(stack: Stack, engagement_id: str, step_id: str, user: str) -> None:
    task = await stack.wait_for_task(engagement_id, step_id, user)
    await stack.claim_and_complete(task["id"], user, "approved")


async def _through_qc_and_approval(stack: Stack, engagement_id: str) -> dict[str, Any]:
    await _approve(stack, engagement_id, "qc", "dana")
    await _approve(stack, engagement_id, "attorney_approval", "paula")
    return await stack.wait_for_status(engagement_id, "completed", "maria")


def _step_detail(detail: dict[str, Any], step_id: str, visit: int = 1) -> dict[str, Any]:
    events = [
        e for e in detail["timeline"] if e["step_id"] == step_id and e["type"] == "step.completed"
    ]
    return dict(events[visit - 1]["detail"])


async def _audit(stack: Stack, engagement_id: str) -> list[dict[str, Any]]:
    response = await stack.call("GET", f"/audit?engagement_id={engagement_id}", "maria", 200)
    return list(response.json())


def test_the_template_offers_exactly_the_rule_s_routes() -> None:
    from domain.catalog import builtin_templates

    draft = builtin_templates()["draft-qc-efile"].step("draft")
    schema = getattr(draft, "output_schema", None) or {}
    assert schema["properties"]["frcp_5_2_exemption"]["enum"] == list(EXEMPTIONS)


async def test_a_filing_sealed_by_court_order_is_approved_then_filed_under_seal(
    stack: Stack,
) -> None:
    engagement_id, task_id = await _draft_task(stack)
    document_id = await _upload(stack, engagement_id, task_id, WITH_SSN)
    await _complete(
        stack,
        task_id,
        {"document": document_id, "frcp_5_2_exemption": "5.2(d)", "seal_order": ORDER},
    )

    # The claim goes to the firm's attorney, who approves it explicitly; QC comes after.
    claim = await stack.wait_for_task(engagement_id, "exemption_approval", "paula")
    assert claim["kind"] == "approval"
    await stack.claim_and_complete(claim["id"], "paula", "approved")
    done = await _through_qc_and_approval(stack, engagement_id)

    scan = _step_detail(done, "redaction_scan")
    assert scan["outcome"] == "exemption_claimed"
    assert scan["exemption"]["basis"] == "FRCP 5.2(d)"
    assert scan["exemption"]["sealed"] is True
    assert scan["where"] == ["ssn on page 2 of 'Motion' (v1)"]
    filed = _step_detail(done, "efile")
    assert filed["outcome"] == "accepted"
    assert filed["sealed"] is True
    assert filed["envelope_id"].startswith("SBX-SEALED-")
    assert filed["exemption"] == "FRCP 5.2(d)"
    assert (filed["document_id"], filed["version"]) == (document_id, 1)

    trail = await _audit(stack, engagement_id)
    claimed = [e for e in trail if e["action"] == "filing.exemption_claimed"]
    assert claimed[0]["detail"]["basis"] == "FRCP 5.2(d)"
    assert claimed[0]["detail"]["finding_kinds"] == {"ssn": 1}
    approvers = [
        e["actor_id"]
        for e in trail
        if e["action"] == "task.completed" and e["detail"]["step_id"] == "exemption_approval"
    ]
    assert approvers == [stack.user_ids["paula"]]
    # The identifier itself is nowhere: not in the timeline, not in the audit.
    assert SSN not in json.dumps(done["timeline"]) and SSN not in json.dumps(trail)
    await stack.record_history(engagement_id, "draft-qc-efile-sealed-exemption")


async def test_a_5_2_f_filing_files_the_redacted_copy_and_the_unredacted_one_under_seal(
    stack: Stack,
) -> None:
    engagement_id, task_id = await _draft_task(stack)
    public = await _upload(stack, engagement_id, task_id, REDACTED, "Motion (redacted)")
    sealed = await _upload(stack, engagement_id, task_id, WITH_SSN, "Motion (unredacted)")
    await _complete(
        stack,
        task_id,
        {
            "document": public,
            "frcp_5_2_exemption": "5.2(f)",
            "seal_order": "FRCP 5.2(f); ECF No. 12",
            "unredacted_copy": sealed,
        },
    )
    await _approve(stack, engagement_id, "exemption_approval", "paula")
    done = await _through_qc_and_approval(stack, engagement_id)

    scan = _step_detail(done, "redaction_scan")
    assert (scan["outcome"], scan["count"]) == ("exemption_claimed", 0)  # the public copy is clean
    filed = _step_detail(done, "efile")
    assert (filed["outcome"], filed["document_id"], filed["sealed"]) == ("accepted", public, False)
    assert filed["envelope_id"].startswith("SBX-") and "SEALED" not in filed["envelope_id"]
    copy = filed["sealed_copy"]
    assert (copy["document_id"], copy["version"], copy["sealed"]) == (sealed, 1, True)
    assert copy["envelope_id"].startswith("SBX-SEALED-")


async def test_a_5_2_f_public_copy_that_still_holds_an_identifier_goes_back(stack: Stack) -> None:
    engagement_id, task_id = await _draft_task(stack)
    public = await _upload(stack, engagement_id, task_id, WITH_SSN, "Motion (not redacted)")
    sealed = await _upload(stack, engagement_id, task_id, WITH_SSN, "Motion (unredacted)")
    await _complete(
        stack,
        task_id,
        {
            "document": public,
            "frcp_5_2_exemption": "5.2(f)",
            "seal_order": "FRCP 5.2(f)",
            "unredacted_copy": sealed,
        },
    )
    await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    scan = _step_detail(detail, "redaction_scan")
    assert scan["outcome"] == "flagged"
    assert scan["where"] == ["ssn on page 2 of 'Motion (not redacted)' (v1)"]  # not the sealed one


async def test_a_claim_that_does_not_cover_the_finding_or_is_declined_goes_back(
    stack: Stack,
) -> None:
    engagement_id, task_id = await _draft_task(stack)
    document_id = await _upload(stack, engagement_id, task_id, WITH_SSN)
    # 5.2(b)(1) exempts a forfeiture account number, not a social-security number.
    await _complete(stack, task_id, {"document": document_id, "frcp_5_2_exemption": "5.2(b)(1)"})
    rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    scan = _step_detail(detail, "redaction_scan")
    assert scan["outcome"] == "flagged"
    assert scan["exemption"]["basis"] == "FRCP 5.2(b)(1)"
    assert scan["exemption"]["covers_findings"] is False

    # 5.2(h): the client waives the protection of their own number; the attorney declines.
    await _complete(stack, rework["id"], {"document": document_id, "frcp_5_2_exemption": "5.2(h)"})
    claim = await stack.wait_for_task(engagement_id, "exemption_approval", "paula")
    await stack.call("POST", f"/tasks/{claim['id']}/claim", "paula", 200)
    await stack.call(
        "POST",
        f"/tasks/{claim['id']}/complete",
        "paula",
        200,
        json={"outcome": "declined", "note": "the number is the defendant's, not our client's"},
    )
    back = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=3)
    assert back["assignee_id"] == stack.user_ids["carlos"]


async def test_an_unknown_exemption_or_a_seal_without_its_order_is_a_422(stack: Stack) -> None:
    engagement_id, task_id = await _draft_task(stack)
    document_id = await _upload(stack, engagement_id, task_id, WITH_SSN)
    copy = await _upload(stack, engagement_id, task_id, WITH_SSN, "Unredacted")
    refused = [
        {"frcp_5_2_exemption": "5.2(z)"},
        {"frcp_5_2_exemption": "5.2(d)"},
        {"frcp_5_2_exemption": "5.2(d)", "seal_order": ""},
        {"frcp_5_2_exemption": "5.2(f)", "unredacted_copy": copy},
        {"frcp_5_2_exemption": "5.2(f)", "seal_order": ORDER},
    ]
    for claim in refused:
        response = await _complete(stack, task_id, {"document": document_id, **claim}, 422)
        assert (
            "frcp_5_2_exemption" in json.dumps(response)
            or "seal_order" in json.dumps(response)
            or "unredacted_copy" in json.dumps(response)
        ), response
    # Nothing was lost: the task is still the drafter's, and a valid claim goes through.
    task = (await stack.call("GET", f"/tasks/{task_id}", "carlos", 200)).json()
    assert (task["status"], task["assignee_id"]) == ("claimed", stack.user_ids["carlos"])
    await _complete(
        stack,
        task_id,
        {"document": document_id, "frcp_5_2_exemption": "5.2(d)", "seal_order": ORDER},
    )
    await stack.wait_for_task(engagement_id, "exemption_approval", "paula")


async def test_the_console_task_page_offers_the_exemption_fields(stack: Stack) -> None:
    engagement_id, task_id = await _draft_task(stack)
    await _upload(stack, engagement_id, task_id, WITH_SSN)
    page = await stack.http.get(
        f"/console/tasks/{task_id}", headers={"Cookie": f"df_session={stack.tokens['carlos']}"}
    )
    assert page.status_code == 200, page.text
    for name in ("frcp_5_2_exemption", "seal_order", "unredacted_copy"):
        assert f'name="out.{name}"' in page.text
    assert "FRCP 5.2 exemption claimed" in page.text and "Sealing order or authority" in page.text
    for code in EXEMPTIONS:
        assert f">{code}<" in page.text  # one option per route
