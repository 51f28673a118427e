"""Automated steps that make files: Bates-stamped copies and an exhibit bundle, recorded as new
documents of the engagement (by the step, not by a person), through the real API and Temporal."""

from __future__ import annotations

import io
from typing import Any

import pypdf

from tests.harness import Stack
from tests.sample_files import pdf


def _stamping_template(mode: str) -> dict[str, Any]:
    exhibit_rows = {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["label", "description", "document"],
            "properties": {
                "label": {"type": "string"},
                "description": {"type": "string"},
                "document": {"type": "string", "format": "document"},
            },
        },
    }
    return {
        "key": f"stamp-{mode.replace('_', '-')}",
        "name": f"Stamp ({mode})",
        "input_schema": {"type": "object", "properties": {}},
        "steps": [
            {
                "id": "assemble",
                "kind": "human",
                "queue": "drafting",
                "skill": "drafting",
                "outcomes": {"done": "stamp"},
                "output_schema": {
                    "type": "object",
                    "required": ["exhibits"],
                    "properties": {"exhibits": exhibit_rows},
                },
            },
            {
                "id": "stamp",
                "kind": "automated",
                "activity": "exhibit_stamp",
                "params": {"mode": mode, "prefix": "HM"},
                "outcomes": {"stamped": "end"},
            },
        ],
    }


async def _run(stack: Stack, mode: str, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    template = _stamping_template(mode)
    await stack.call("POST", "/templates", "maria", 201, json={"definition": template})
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], template=template["key"], inputs={}
    )
    task = await stack.wait_for_task(engagement_id, "assemble", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    rows = []
    for label, content in files:
        uploaded = await stack.call(
            "POST",
            f"/engagements/{engagement_id}/documents",
            "carlos",
            201,
            files={"file": (f"{label}.pdf", content, "application/pdf")},
            data={"kind": "exhibit", "title": f"Exhibit {label}", "task_id": task["id"]},
        )
        rows.append(
            {"label": f"Exhibit {label}", "description": label, "document": uploaded.json()["id"]}
        )
    await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        "carlos",
        200,
        json={"outcome": "done", "output": {"exhibits": rows}},
    )
    done = await stack.wait_for_status(engagement_id, "completed", "maria")
    stamp = next(e for e in done["timeline"] if e["step_id"] == "stamp")
    return {"engagement_id": engagement_id, "detail": stamp["detail"]}


async def _text(stack: Stack, document_id: str) -> list[str]:
    content = await stack.call("GET", f"/documents/{document_id}/content", "maria", 200)
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content.content)).pages]


async def test_bates_numbers_run_on_across_the_set_as_new_documents(stack: Stack) -> None:
    ran = await _run(stack, "bates", [("A", pdf(["lease", "rider"])), ("B", pdf(["invoice"]))])
    detail = ran["detail"]
    assert (detail["first"], detail["last"]) == ("HM000001", "HM000003")
    first, second = detail["documents"]
    pages = await _text(stack, first["document_id"]) + await _text(stack, second["document_id"])
    for label, page in zip(["HM000001", "HM000002", "HM000003"], pages, strict=True):
        assert label in page  # visible on every page, numbered on across the two files
    listed = (
        await stack.call("GET", f"/engagements/{ran['engagement_id']}/documents", "maria")
    ).json()
    stamped = [d for d in listed if d["kind"] == "stamped"]
    assert len(stamped) == 2 and all(d["created_by"] is None for d in stamped)


async def test_an_exhibit_bundle_has_an_index_slip_sheets_and_every_page(stack: Stack) -> None:
    ran = await _run(
        stack, "exhibit_labels", [("A", pdf(["lease", "rider"])), ("B", pdf(["invoice"]))]
    )
    detail = ran["detail"]
    pages = await _text(stack, detail["bundle_document_id"])
    assert len(pages) == 1 + 1 + 2 + 1 + 1  # index, slip A, two pages, slip B, one page
    assert "INDEX OF EXHIBITS" in pages[0]
    assert "EXHIBIT A" in pages[1] and "lease" in pages[2] and "rider" in pages[3]
    assert "EXHIBIT B" in pages[4] and "invoice" in pages[5]
    assert [(e["label"], e["first_page"], e["last_page"]) for e in detail["index"]] == [
        ("A", 3, 4),
        ("B", 6, 6),
    ]
