"""Legal holds through the real API: a held engagement's documents survive a retention delete,
the hold and its release are audited (the reason's length, never its words), and bad input is a
4xx that changes nothing."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.enums import Role
from tests.api.test_documents import DRAFT, _draft_task, upload
from tests.harness import Stack

REASON = "Preservation letter from counsel for Smith, re: slip and fall at 12 Elm St."


async def _hold_audit(stack: Stack, engagement_id: str) -> list[tuple[str, dict[str, object]]]:
    engine = create_async_engine(stack.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT action, detail FROM audit_log WHERE engagement_id = :e "
                    "AND action LIKE 'engagement.legal_hold%' ORDER BY id"
                ),
                {"e": engagement_id},
            )
            return [(row.action, row.detail) for row in rows]
    finally:
        await engine.dispose()


async def test_a_hold_keeps_documents_until_released_and_is_audited_without_its_words(
    stack: Stack,
) -> None:
    await stack.add_user("root", Role.ADMIN)  # retention deletes are an admin's
    engagement_id, task_id = await _draft_task(stack)
    uploaded = await upload(stack, "carlos", engagement_id, DRAFT, kind="draft", task_id=task_id)
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    hold = f"/engagements/{engagement_id}/legal-hold"

    placed = (await stack.call("PUT", hold, "paula", 200, json={"reason": REASON})).json()
    assert placed["legal_hold_since"] is not None
    assert placed["legal_hold_reason"] == REASON  # kept on the engagement, for its readers

    refused = await stack.call("DELETE", f"/documents/{document_id}", "root", 409)
    assert "legal hold" in refused.json()["detail"]
    await stack.call("GET", f"/documents/{document_id}/content", "paula", 200)

    released = (await stack.call("DELETE", hold, "maria", 200)).json()
    assert released["legal_hold_since"] is None
    await stack.call("DELETE", f"/documents/{document_id}", "root", 204)

    # The audit log cannot be edited, so it keeps who and when, and the reason's length only.
    assert await _hold_audit(stack, engagement_id) == [
        ("engagement.legal_hold_placed", {"reason_chars": len(REASON)}),
        ("engagement.legal_hold_released", {}),
    ]


async def test_bad_hold_requests_are_refused_and_change_nothing(stack: Stack) -> None:
    engagement_id, _ = await _draft_task(stack)
    hold = f"/engagements/{engagement_id}/legal-hold"
    await stack.call("PUT", hold, "paula", 422, json={"reason": "no"})  # too short to explain
    await stack.call("PUT", hold, "paula", 422, json={"reason": "court\x00order"})
    await stack.call("PUT", hold, "paula", 422, json={})
    await stack.call("PUT", hold, "carlos", 403, json={"reason": REASON})  # clerks cannot
    other = "00000000-0000-4000-8000-000000000000"
    await stack.call(
        "PUT", f"/engagements/{other}/legal-hold", "paula", 404, json={"reason": REASON}
    )
    assert await _hold_audit(stack, engagement_id) == []
    detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    assert detail.get("legal_hold_since") is None
