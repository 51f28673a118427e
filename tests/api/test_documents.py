"""Documents through the real API: upload, versions, download byte for byte, who may see them,
every bad file refused with nothing left behind, sealed at rest, shredded with the firm's key."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.enums import Role
from tests.harness import Stack, running_stack
from tests.sample_files import ELF, encrypted_pdf, pdf

DRAFT = pdf(["MOTION TO COMPEL DISCOVERY", "Page two: argument", "Page three: conclusion"])


async def _draft_task(stack: Stack, clerk: str = "carlos") -> tuple[str, str]:
    """An engagement whose draft task `clerk` now holds: (engagement id, task id)."""
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"])
    task = await stack.wait_for_task(engagement_id, "draft", "maria")
    await stack.call("POST", f"/tasks/{task['id']}/claim", clerk, 200)
    return engagement_id, str(task["id"])


async def upload(
    stack: Stack,
    user: str,
    engagement_id: str,
    content: bytes,
    filename: str = "motion.pdf",
    content_type: str = "application/pdf",
    **fields: str,
) -> httpx.Response:
    return await stack.call(
        "POST",
        f"/engagements/{engagement_id}/documents",
        user,
        files={"file": (filename, content, content_type)},
        data=fields,
    )


async def _rows(stack: Stack, query: str) -> list[Any]:
    engine = create_async_engine(stack.settings.database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(query))).all())
    finally:
        await engine.dispose()


def _blobs(stack: Stack) -> list[Path]:
    root = stack.settings.documents_root()
    return [p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts]


async def test_versions_upload_and_download_byte_for_byte_and_are_audited(stack: Stack) -> None:
    engagement_id, task_id = await _draft_task(stack)
    first = await upload(
        stack, "carlos", engagement_id, DRAFT, kind="draft", title="Motion", task_id=task_id
    )
    assert first.status_code == 201, first.text
    document = first.json()
    assert document["version"] == 1
    assert document["pages"] == 3
    assert document["size"] == len(DRAFT)
    assert document["content_type"] == "application/pdf"
    assert document["created_by"] == stack.user_ids["carlos"]
    assert (document["kind"], document["title"], document["filename"]) == (
        "draft",
        "Motion",
        "motion.pdf",
    )

    second_bytes = pdf(["MOTION TO COMPEL DISCOVERY (corrected)"])
    second = await stack.call(
        "POST",
        f"/documents/{document['id']}/versions",
        "carlos",
        201,
        files={"file": ("motion-v2.pdf", second_bytes, "application/pdf")},
        data={"task_id": task_id},
    )
    assert second.json()["version"] == 2
    assert second.json()["pages"] == 1

    detail = (await stack.call("GET", f"/documents/{document['id']}", "maria", 200)).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["version"] == 2
    listed = (await stack.call("GET", f"/engagements/{engagement_id}/documents", "paula")).json()
    assert [(d["id"], d["version"]) for d in listed] == [(document["id"], 2)]

    for version, expected in ((1, DRAFT), (2, second_bytes), (None, second_bytes)):
        query = f"?version={version}" if version else ""
        got = await stack.call("GET", f"/documents/{document['id']}/content{query}", "paula", 200)
        assert got.content == expected
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("inline;")
    await stack.call("GET", f"/documents/{document['id']}/content?version=3", "paula", 404)

    trail = (await stack.call("GET", f"/audit?engagement_id={engagement_id}", "maria")).json()
    uploads = [e for e in trail if e["action"] == "document.uploaded"]
    downloads = [e for e in trail if e["action"] == "document.downloaded"]
    assert {(e["actor_id"], e["detail"]["version"]) for e in uploads} == {
        (stack.user_ids["carlos"], 1),
        (stack.user_ids["carlos"], 2),
    }
    assert sorted(e["detail"]["version"] for e in downloads) == [1, 2, 2]
    assert {e["actor_id"] for e in downloads} == {stack.user_ids["paula"]}


async def test_only_the_firm_managers_and_clerks_on_its_tasks_see_documents(stack: Stack) -> None:
    engagement_id, task_id = await _draft_task(stack)
    document = (await upload(stack, "carlos", engagement_id, DRAFT, task_id=task_id)).json()
    other_firm = await stack.create_firm("maria", "Other Firm LLP")
    await stack.add_user("olga", Role.PARTNER, firm=other_firm)
    await stack.add_user("root", Role.ADMIN)
    paths = (
        f"/engagements/{engagement_id}/documents",
        f"/documents/{document['id']}",
        f"/documents/{document['id']}/content",
    )
    for path in paths:
        await stack.call("GET", path, "olga", 404)  # another firm's partner
        await stack.call("GET", path, "quinn", 404)  # a clerk with no task of it
        await stack.call("GET", path, "root", 403)  # admins run the platform, not the work
        for reader in ("maria", "paula", "carlos"):
            await stack.call("GET", path, reader, 200)
    # Uploading needs a task of the engagement held now; another firm's partner sees nothing.
    assert (await upload(stack, "quinn", engagement_id, DRAFT)).status_code == 404
    assert (await upload(stack, "olga", engagement_id, DRAFT)).status_code == 404
    version = await stack.call(
        "POST",
        f"/documents/{document['id']}/versions",
        "quinn",
        files={"file": ("x.pdf", DRAFT, "application/pdf")},
    )
    assert version.status_code == 404
    # A task id that is not the caller's own is refused.
    assert (await upload(stack, "maria", engagement_id, DRAFT, task_id=task_id)).status_code == 409
    # Once carlos completed his task he still reads the documents (he worked on them).
    await stack.call(
        "POST",
        f"/tasks/{task_id}/complete",
        "carlos",
        200,
        json={"outcome": "done", "output": {"document": document["id"], "signature": "/s/ C"}},
    )
    await stack.call("GET", paths[2], "carlos", 200)


@pytest.mark.parametrize(
    ("filename", "content", "content_type", "status", "says"),
    [
        ("empty.pdf", b"", "application/pdf", 422, "empty"),
        ("motion.pdf", ELF, "application/pdf", 415, ""),
        ("tool.exe", b"MZ\x90\x00" + bytes(300), "application/octet-stream", 415, ""),
        ("page.html", b"<!doctype html><script>alert(1)</script>", "text/html", 415, ""),
        ("sealed.pdf", encrypted_pdf(), "application/pdf", 422, "password"),
        ("broken.pdf", DRAFT[: len(DRAFT) // 3], "application/pdf", 422, ""),
    ],
)
async def test_bad_files_get_a_clear_4xx_and_leave_nothing_behind(
    stack: Stack, filename: str, content: bytes, content_type: str, status: int, says: str
) -> None:
    engagement_id, _ = await _draft_task(stack)
    refused = await upload(stack, "maria", engagement_id, content, filename, content_type)
    assert refused.status_code == status, refused.text
    assert says in refused.json()["detail"].lower()
    assert await _rows(stack, "SELECT id FROM documents") == []
    assert _blobs(stack) == []
    assert not list(Path("/tmp").glob("upload-*"))  # noqa: ASYNC240


async def test_over_the_size_limit_is_413_and_nothing_is_stored(settings: Any) -> None:
    limited = settings.model_copy(update={"document_max_bytes": 50_000})
    async with running_stack(limited) as stack:
        await stack.add_user("maria", Role.MANAGER, ["drafting"])
        firm = await stack.create_firm("maria")
        stack.user_ids["firm"] = firm
        engagement_id = await stack.create_engagement("maria", firm)
        big = pdf(["x" * 90] * 400)
        assert len(big) > 50_000 + 64 * 1024
        refused = await upload(stack, "maria", engagement_id, big)
        assert refused.status_code == 413
        assert (await upload(stack, "maria", engagement_id, pdf(["small"]))).status_code == 201
        assert len(await _rows(stack, "SELECT id FROM documents")) == 1


async def test_no_plaintext_at_rest_and_a_shredded_firm_key_reads_nothing(stack: Stack) -> None:
    marker = f"PRIVILEGED-{uuid.uuid4().hex}"
    engagement_id, task_id = await _draft_task(stack)
    plain = (
        await upload(stack, "carlos", engagement_id, marker.encode(), "note.txt", "text/plain")
    ).json()
    pdf_bytes = pdf([marker, "Attorney work product"])
    sealed = (await upload(stack, "carlos", engagement_id, pdf_bytes, task_id=task_id)).json()
    stored = b"".join(p.read_bytes() for p in _blobs(stack))
    assert stored, "the documents were stored"
    assert marker.encode() not in stored
    assert pdf_bytes[200:264] not in stored  # nor any piece of the PDF as uploaded

    await stack.add_user("root", Role.ADMIN)
    await stack.call(
        "POST", f"/engagements/{engagement_id}/cancel", "maria", 200, json={"reason": "closed"}
    )
    await stack.wait_for_status(engagement_id, "cancelled", "maria")
    firm = stack.user_ids["firm"]
    keys = (await stack.call("GET", f"/firms/{firm}/data-keys", "root", 200)).json()
    for key in keys:
        await stack.call(
            "POST",
            f"/firms/{firm}/data-keys/{key['version']}/shred",
            "root",
            200,
            json={"confirm": key["key_id"], "reason": "retention period ended"},
        )
    for document in (plain, sealed):
        gone = await stack.call("GET", f"/documents/{document['id']}/content", "maria")
        assert gone.status_code == 410
        assert "shredded" in gone.json()["detail"]


def _field_part(boundary: str, name: str, value: str) -> bytes:
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
    return f"{head}{value}\r\n".encode()


async def test_form_fields_after_the_file_part_are_fields_not_file_bytes(stack: Stack) -> None:
    """curl -F sends parts in the order given, often the file first: the file's bytes end at its
    own boundary, and the title and task that follow it are read as fields."""
    engagement_id, task_id = await _draft_task(stack)
    boundary = "docketflow-test-boundary"
    file_head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="m.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    )
    body = b"".join(
        [
            file_head.encode() + DRAFT + b"\r\n",
            _field_part(boundary, "title", "Motion, filed first"),
            _field_part(boundary, "kind", "draft"),
            _field_part(boundary, "task_id", task_id),
            f"--{boundary}--\r\n".encode(),
        ]
    )
    uploaded = await stack.http.post(
        f"/api/v1/engagements/{engagement_id}/documents",
        content=body,
        headers={
            **stack.auth("carlos"),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert (document["title"], document["kind"], document["size"]) == (
        "Motion, filed first",
        "draft",
        len(DRAFT),
    )
    got = await stack.call("GET", f"/documents/{document['id']}/content", "carlos", 200)
    assert got.content == DRAFT
