"""The document-review production step on real files: the reviewer's list becomes one volume
(Bates-stamped page images, text, natives, DAT/OPT load files) kept as a document of the
engagement, through the real API, Temporal and the document store."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pypdf

from domain.catalog import builtin_templates
from domain.enums import Role
from tests.harness import Stack
from tests.sample_files import pdf

QUOTE, SEPARATOR = "\u00fe", "\u0014"
EMAIL = (
    b"From: adjuster@insurer.example\r\nTo: counsel@firm.example\r\nSubject: Lease\r\n"
    b"Date: Mon, 2 Mar 2026 10:00:00 -0500\r\n\r\nPlease see the attached lease.\r\n"
)


def _production_template() -> dict[str, Any]:
    """The shipped template's own two production steps, on their own."""
    review = builtin_templates()["document-review"].model_dump(mode="json", exclude_none=True)
    steps = {step["id"]: step for step in review["steps"]}
    assemble = {**steps["assemble_production"], "outcomes": {"assembled": "production_stamp"}}
    build = {**steps["production_stamp"], "outcomes": {"built": "end"}}
    return {
        "key": "production-only",
        "name": "Production only",
        "input_schema": {
            "type": "object",
            "properties": {"bates_prefix": review["input_schema"]["properties"]["bates_prefix"]},
        },
        "steps": [assemble, build],
    }


async def _upload(
    stack: Stack, engagement_id: str, task_id: str, name: str, content: bytes, kind: str
) -> str:
    uploaded = await stack.call(
        "POST",
        f"/engagements/{engagement_id}/documents",
        "rita",
        201,
        files={"file": (name, content, kind)},
        data={"kind": "review_batch", "task_id": task_id},
    )
    return str(uploaded.json()["id"])


def _dat(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return [
        [field.strip(QUOTE) for field in line.split(SEPARATOR)]
        for line in text.split("\r\n")
        if line
    ]


async def test_the_assembled_list_becomes_a_volume_with_load_files(stack: Stack) -> None:
    await stack.add_user("rita", Role.CLERK, ["review_qc"])
    template = _production_template()
    await stack.call("POST", "/templates", "maria", 201, json={"definition": template})
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], template="production-only", inputs={"bates_prefix": "ACME"}
    )
    task = await stack.wait_for_task(engagement_id, "assemble_production", "rita")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "rita", 200)
    email = await _upload(stack, engagement_id, task["id"], "lease.eml", EMAIL, "message/rfc822")
    lease = await _upload(
        stack, engagement_id, task["id"], "lease.pdf", pdf(["LEASE", "RIDER"]), "application/pdf"
    )
    memo = await _upload(
        stack, engagement_id, task["id"], "memo.pdf", pdf(["MEMO"]), "application/pdf"
    )
    # Listed out of family order and with a repeat: the family is kept together, parent first,
    # and each document is produced once.
    production = [
        {"document": email, "custodian": "Jones", "family": "F1"},
        {"document": memo, "custodian": "Smith"},
        {"document": lease, "custodian": "Jones", "family": "F1"},
        {"document": memo, "custodian": "Smith"},
    ]
    await stack.call(
        "POST",
        f"/tasks/{task['id']}/complete",
        "rita",
        200,
        json={"outcome": "assembled", "output": {"production": production}},
    )
    done = await stack.wait_for_status(engagement_id, "completed", "maria")
    detail = next(e for e in done["timeline"] if e["step_id"] == "production_stamp")["detail"]

    assert (detail["documents"], detail["pages"]) == (3, 4)
    assert (detail["first"], detail["last"]) == ("ACME000001", "ACME000004")
    assert [(r["document_id"], r["first"], r["last"]) for r in detail["records"]] == [
        (email, "ACME000001", "ACME000001"),  # natively produced: one placeholder page
        (lease, "ACME000002", "ACME000003"),
        (memo, "ACME000004", "ACME000004"),
    ]

    listed = (await stack.call("GET", f"/engagements/{engagement_id}/documents", "maria")).json()
    volume = next(d for d in listed if d["kind"] == "production")
    assert volume["id"] == detail["document_id"]
    assert volume["created_by"] is None and volume["content_type"] == "application/zip"
    content = await stack.call("GET", f"/documents/{volume['id']}/content", "maria", 200)
    archive = zipfile.ZipFile(io.BytesIO(content.content))
    names = set(archive.namelist())

    dat = _dat(archive.read("VOL001/DATA/VOL001.dat"))
    assert dat[0][:5] == ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "CUSTODIAN"]
    assert [row[:5] for row in dat[1:]] == [
        ["ACME000001", "ACME000001", "ACME000001", "ACME000003", "Jones"],
        ["ACME000002", "ACME000003", "ACME000001", "ACME000003", "Jones"],
        ["ACME000004", "ACME000004", "ACME000004", "ACME000004", "Smith"],
    ]
    opt = archive.read("VOL001/DATA/VOL001.opt").decode("ascii").split("\r\n")[:-1]
    assert [line.split(",")[0] for line in opt] == [f"ACME00000{n}" for n in range(1, 5)]
    assert [line.split(",")[3] for line in opt] == ["Y", "Y", "", "Y"]  # document breaks
    images = sorted(n for n in names if n.startswith("VOL001/IMAGES/"))
    assert len(images) == 4
    stamped = pypdf.PdfReader(io.BytesIO(archive.read(images[2]))).pages[0].extract_text()
    assert "RIDER" in stamped and "ACME000003" in stamped
    assert any(n.startswith("VOL001/NATIVES/") and n.endswith(".eml") for n in names)
    assert (
        "Please see the attached lease." in archive.read("VOL001/TEXT/0001/ACME000001.txt").decode()
    )
