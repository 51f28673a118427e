"""LEDES 1998B through the API: POST /billing/ledes1998b and the billing template's invoice step."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from domain.enums import Role
from tests.domain.test_ledes import INVOICE, parse_ledes
from tests.harness import Stack


async def test_the_endpoint_returns_the_file_with_computed_totals(stack: Stack) -> None:
    response = await stack.call("POST", "/billing/ledes1998b", "maria", 200, json=INVOICE)
    assert response.headers["content-type"].startswith("text/plain")
    assert 'filename="HM-2026-014.txt"' in response.headers["content-disposition"]
    rows = parse_ledes(response.text)
    assert [row["LINE_ITEM_TOTAL"] for row in rows] == [
        Decimal("142.50"),
        Decimal("171.00"),
        Decimal("12.00"),
    ]
    assert rows[0]["INVOICE_TOTAL"] == Decimal("325.50")


async def test_a_bad_invoice_is_a_422_naming_the_line(stack: Stack) -> None:
    lines = [dict(line) for line in INVOICE["lines"]]
    lines[1]["line_item_task_code"] = "L290"
    lines[2]["line_item_date"] = "2026-03-01"
    response = await stack.call(
        "POST", "/billing/ledes1998b", "paula", 422, json={**INVOICE, "lines": lines}
    )
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert "line 2" in detail and "L290" in detail
    assert "line 3" in detail and "outside the billing period" in detail
    missing = await stack.call(
        "POST", "/billing/ledes1998b", "maria", 422, json={**INVOICE, "law_firm_id": ""}
    )
    assert "LAW_FIRM_ID" in missing.json()["detail"]
    unknown = await stack.call(
        "POST", "/billing/ledes1998b", "maria", 422, json={**INVOICE, "total": "1.00"}
    )
    assert "total" in unknown.text  # totals are the server's to compute


ENTRY = {
    "date": "2026-01-12",
    "timekeeper_id": "TK-9",
    "timekeeper_name": "Roe, Jane",
    "timekeeper_classification": "PARLEG",
    "hours": 1.5,
    "rate": 95,
    "task_code": "L320",
    "activity_code": "A104",
    "narrative": "First-level review of batch 4",
}


async def _invoice_step(stack: Stack, engagement_id: str, visit: int) -> dict[str, Any]:
    for _ in range(200):
        detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
        found = [
            e["detail"]
            for e in detail["timeline"]
            if e["type"] == "step.completed" and e["step_id"] == "generate_invoice"
        ]
        if len(found) >= visit:
            return dict(found[visit - 1])
        await asyncio.sleep(0.1)
    raise AssertionError("the invoice step did not run")


async def test_the_billing_template_generates_the_ledes_file(stack: Stack) -> None:
    await stack.add_user("bea", Role.CLERK, ["billing"])
    inputs = {
        "client_id": "ACME",
        "law_firm_matter_id": "HM-2024-0307",
        "law_firm_id": "12-3456789",
        "client_matter_id": "ACME-LIT-77",
        "billing_start_date": "2026-01-01",
        "billing_end_date": "2026-01-31",
        "invoice_description": "Document review, January 2026",
    }
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "billing-collections", inputs
    )
    prebill = await stack.wait_for_task(engagement_id, "prebill_review", "bea")
    late = {**ENTRY, "date": "2026-02-02", "task_code": "L110"}  # after the billing period
    await stack.claim_and_complete(prebill["id"], "bea", "ready", {"time_entries": [ENTRY, late]})
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula")
    await stack.claim_and_complete(approval["id"], "paula", "approved")

    refused = await _invoice_step(stack, engagement_id, 1)
    assert refused["outcome"] == "invalid"
    assert any("line 2" in p and "outside the billing period" in p for p in refused["problems"])
    fix = await stack.wait_for_task(engagement_id, "prebill_review", "bea", visit=2)
    expense = {"date": "2026-01-14", "expense_code": "E101", "amount": 12, "description": "Copies"}
    await stack.claim_and_complete(
        fix["id"], "bea", "ready", {"time_entries": [ENTRY], "expenses": [expense]}
    )
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula", visit=2)
    await stack.claim_and_complete(approval["id"], "paula", "approved")

    generated = await _invoice_step(stack, engagement_id, 2)
    assert generated["outcome"] == "generated"
    # The file is a document of the engagement (made by the step), not text in the timeline.
    assert "file" not in generated
    invoice = (
        await stack.call("GET", f"/documents/{generated['document_id']}", "paula", 200)
    ).json()
    assert (invoice["kind"], invoice["content_type"], invoice["created_by"]) == (
        "invoice",
        "text/plain",
        None,
    )
    content = await stack.call(
        "GET", f"/documents/{generated['document_id']}/content", "paula", 200
    )
    assert content.headers["content-disposition"].startswith("attachment;")
    rows = parse_ledes(content.text)
    assert [(r["EXP/FEE/INV_ADJ_TYPE"], r["LINE_ITEM_TOTAL"]) for r in rows] == [
        ("F", Decimal("142.50")),
        ("E", Decimal("12.00")),
    ]
    assert {r["INVOICE_TOTAL"] for r in rows} == {Decimal("154.50")}
    assert {r["LAW_FIRM_ID"] for r in rows} == {"12-3456789"}
    assert rows[0]["LINE_ITEM_DESCRIPTION"] == "First-level review of batch 4"
    assert generated["total"] == "154.50"
