"""The smaller findings of issue 14 (item 6), each through the real API: HSTS, no-store console
pages, logout revocation, Secure cookies behind a TLS proxy, free text kept out of the audit log,
CSV formula guard, ICS bare CR, a partner without a firm, `users add` audited, control
characters refused in every name and text field."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from api.routes.calendar_feed import _text as ics_text
from api.routes.dashboard import _cell
from core.settings import Settings
from domain.enums import Role
from tests.harness import PASSWORD, Stack, running_stack

PROXIED_TLS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}


async def test_hsts_is_sent_over_tls_only(stack: Stack) -> None:
    over_tls = await stack.http.get("/healthz", headers=PROXIED_TLS)
    assert over_tls.headers["strict-transport-security"].startswith("max-age=31536000")
    plain = await stack.http.get("/healthz")
    assert "strict-transport-security" not in plain.headers


async def test_forwarded_proto_from_an_untrusted_peer_gets_no_hsts(settings: Settings) -> None:
    untrusted = settings.model_copy(update={"forwarded_allow_ips": "10.9.9.9"})
    async with running_stack(untrusted, with_worker=False) as running:
        response = await running.http.get("/healthz", headers=PROXIED_TLS)
        assert "strict-transport-security" not in response.headers


async def test_console_pages_are_not_cached(stack: Stack) -> None:
    page = await stack.http.get("/console/login")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"


async def test_console_cookies_are_secure_behind_a_tls_proxy(stack: Stack) -> None:
    page = await stack.http.get("/console/login", headers=PROXIED_TLS)
    csrf = re.search(r'name="([^"]+)" value="([^"]+)"', page.text)
    assert csrf is not None
    # The test client speaks plain http to the app, so it would not send a Secure cookie back.
    cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
    response = await stack.http.post(
        "/console/login",
        data={"username": "carlos", "password": PASSWORD, csrf[1]: csrf[2]},
        headers={**PROXIED_TLS, "Cookie": cookie},
    )
    assert response.status_code == 303, response.text
    cookies = response.headers.get_list("set-cookie")
    assert cookies
    assert all("secure" in cookie.lower() for cookie in cookies)


async def test_logout_revokes_the_token_on_the_server(stack: Stack) -> None:
    await stack.call("GET", "/me", "carlos", 200)
    await stack.call("POST", "/auth/logout", "carlos", 204)
    await stack.call("GET", "/me", "carlos", 401)


async def _audit_of(stack: Stack, engagement: str, action: str) -> list[dict[str, object]]:
    for _ in range(100):
        entries = (
            await stack.call("GET", f"/audit?engagement_id={engagement}", "maria", 200)
        ).json()
        found = [entry for entry in entries if entry["action"] == action]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {action} entry")


async def test_a_completion_note_is_not_copied_into_the_audit_log(stack: Stack) -> None:
    engagement, task = stack.user_ids["engagement"], stack.user_ids["task"]
    note = "Client DOB 1961-04-02, see chart p. 14"
    await stack.claim_and_complete(task, "carlos", note=note, draft=True)
    (entry,) = await _audit_of(stack, engagement, "task.completed")
    assert note not in str(entry)
    assert entry["detail"]["note_chars"] == len(note)  # type: ignore[index]


async def test_a_cancel_reason_is_not_copied_into_the_audit_log(stack: Stack) -> None:
    engagement = stack.user_ids["engagement"]
    reason = "Client passed away (obituary attached)"
    await stack.call("POST", f"/engagements/{engagement}/cancel", "maria", json={"reason": reason})
    entries = await _audit_of(stack, engagement, "task.cancelled")
    entries += await _audit_of(stack, engagement, "engagement.cancelled")
    leaks = [entry for entry in entries if reason in str(entry)]
    assert not leaks, [(e["action"], e["detail"]) for e in leaks]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Hale & Morrow", "Hale & Morrow"),
        (-3, -3),
        (None, ""),
    ],
)
def test_csv_cells_that_start_like_a_formula_stay_text(value: object, cell: object) -> None:
    assert _cell(value) == cell


async def test_the_dashboard_csv_guards_a_formula_firm_name(stack: Stack) -> None:
    await stack.create_firm("maria", "=cmd|' /C calc'!A0")
    response = await stack.call("GET", "/dashboard/sla?format=csv", "maria", 200)
    assert "=cmd" not in response.text.replace("'=cmd", "")


def test_ics_text_escapes_a_bare_carriage_return() -> None:
    assert ics_text("line one\rDTSTART:19700101") == "line one\\nDTSTART:19700101"


async def test_a_partner_row_without_a_firm_is_refused_by_the_database(stack: Stack) -> None:
    engine = create_async_engine(stack.settings.database_url)
    try:
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    text("UPDATE users SET firm_id = NULL WHERE username = 'paula'")
                )
    finally:
        await engine.dispose()


async def test_the_cli_users_add_is_audited(stack: Stack) -> None:
    await stack.add_user("nora", Role.CLERK, ["qc"])  # cli.bootstrap.add_user, what the CLI runs
    entries = (await stack.call("GET", "/audit", "ada", 200)).json()
    added = [
        e
        for e in entries
        if e["action"] == "user.added" and e["object_id"] == stack.user_ids["nora"]
    ]
    assert added and added[0]["detail"]["via"] == "cli"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/tasks/claim-next", {"queues": ["draft\u0000ing"]}),
        ("/firms", {"name": "Hale\u0000LLP"}),
        ("/firms", {"name": "Hale\u001bLLP"}),
    ],
)
async def test_a_control_character_in_a_name_is_a_422(
    stack: Stack, path: str, body: dict[str, object]
) -> None:
    user = "carlos" if "tasks" in path else "maria"
    response = await stack.call("POST", path, user, 422, json=body)
    assert "control characters" in response.text


async def test_line_breaks_in_free_text_are_kept(stack: Stack) -> None:
    engagement = stack.user_ids["engagement"]
    await stack.call(
        "POST", f"/engagements/{engagement}/hold", "maria", 200, json={"reason": "a\nb"}
    )
    response = await stack.call(
        "POST",
        f"/engagements/{engagement}/cancel",
        "maria",
        422,
        json={"reason": "bad\u0000reason"},
    )
    assert "control characters" in response.text
    assert uuid.UUID(engagement)
