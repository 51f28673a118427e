"""Authentication and firm scoping through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.security import issue_token
from core.settings import Settings
from domain.enums import Role
from tests.harness import Stack


async def test_every_business_endpoint_needs_a_token(stack: Stack) -> None:
    for method, path in [
        ("GET", "/me"),
        ("GET", "/firms"),
        ("GET", "/engagements"),
        ("GET", "/tasks"),
        ("POST", "/tasks/claim-next"),
        ("GET", "/audit"),
    ]:
        response = await stack.http.request(method, f"/api/v1{path}")
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
    health = await stack.http.get("/healthz")
    assert health.status_code == 200


async def test_login_with_a_wrong_password_is_refused(stack: Stack) -> None:
    response = await stack.http.post(
        "/api/v1/auth/token", data={"username": "carlos", "password": "not-the-password"}
    )
    assert response.status_code == 401
    unknown = await stack.http.post(
        "/api/v1/auth/token", data={"username": "nobody", "password": "x"}
    )
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == response.json()["detail"]  # no hint which part was wrong


async def test_me_describes_the_caller(stack: Stack) -> None:
    me = (await stack.call("GET", "/me", "dana", 200)).json()
    assert me["username"] == "dana"
    assert me["role"] == "clerk"
    assert me["skills"] == ["drafting", "qc"]
    partner = (await stack.call("GET", "/me", "paula", 200)).json()
    assert partner["firm_id"] == stack.user_ids["firm"]


async def test_expired_or_forged_tokens_are_refused(stack: Stack) -> None:
    user_id = stack.user_ids["carlos"]
    expired = issue_token(
        stack.settings.secret_key,
        user_id,
        1,
        timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    forged = issue_token(
        "another-secret-that-is-long-enough-000000", user_id, 1, timedelta(minutes=5)
    )
    for token in (expired, forged, "not-a-jwt"):
        response = await stack.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_a_partner_sees_only_their_firm(stack: Stack) -> None:
    own = await stack.create_engagement("maria", stack.user_ids["firm"])
    other_firm = await stack.create_firm("maria", name="Other Firm LLP")
    await stack.add_user("otto", Role.PARTNER, firm=other_firm)
    theirs = await stack.create_engagement("maria", other_firm)
    other_task = await stack.wait_for_task(theirs, "draft", "maria")

    listed = (await stack.call("GET", "/engagements", "paula", 200)).json()
    assert [e["id"] for e in listed["items"]] == [own]
    assert [f["id"] for f in (await stack.call("GET", "/firms", "paula", 200)).json()] == [
        stack.user_ids["firm"]
    ]
    # Another firm's objects do not exist for this partner: 404, never 403.
    await stack.call("GET", f"/engagements/{theirs}", "paula", 404)
    await stack.call("GET", f"/firms/{other_firm}", "paula", 404)
    await stack.call("GET", f"/tasks/{other_task['id']}", "paula", 404)
    await stack.call("GET", f"/audit?engagement_id={theirs}", "paula", 404)
    refused = await stack.call(
        "POST",
        "/engagements",
        "paula",
        404,
        json={
            "firm_id": other_firm,
            "template": "draft-qc-efile",
            "title": "x",
            "matter_ref": "y",
            "inputs": {"court": "SDNY", "case_number": "1:24-cv-00001", "document_type": "motion"},
        },
    )
    assert refused.json()["detail"] == "firm not found"
    # ...while BPO staff see both.
    assert (await stack.call("GET", "/engagements", "maria", 200)).json()["total"] == 2


async def test_engagement_inputs_are_checked_against_the_template(stack: Stack) -> None:
    base = {
        "firm_id": stack.user_ids["firm"],
        "template": "draft-qc-efile",
        "title": "Motion",
        "matter_ref": "HM-1",
    }
    missing = await stack.call(
        "POST", "/engagements", "maria", 422, json={**base, "inputs": {"court": "SDNY"}}
    )
    assert "case_number" in missing.json()["detail"]
    wrong = await stack.call(
        "POST",
        "/engagements",
        "maria",
        422,
        json={**base, "inputs": {"court": "SDNY", "case_number": "1", "document_type": "poem"}},
    )
    assert wrong.json()["errors"][0]["field"] == "inputs.document_type"
    unknown = await stack.call(
        "POST", "/engagements", "maria", 422, json={**base, "template": "nope"}
    )
    assert "unknown template" in unknown.json()["detail"]
    bad_priority = await stack.call(
        "POST", "/engagements", "maria", 422, json={**base, "priority": "asap"}
    )
    assert bad_priority.json()["errors"][0]["field"] == "priority"
    assert (await stack.call("GET", "/engagements", "maria", 200)).json()["total"] == 0


async def test_a_repeated_create_with_the_same_idempotency_key_creates_one_engagement(
    stack: Stack,
) -> None:
    body = {
        "firm_id": stack.user_ids["firm"],
        "template": "draft-qc-efile",
        "title": "Motion",
        "matter_ref": "HM-1",
        "inputs": {"court": "SDNY", "case_number": "1:24-cv-00001", "document_type": "motion"},
    }
    headers = {**stack.auth("maria"), "Idempotency-Key": "create-motion-1"}
    first = await stack.http.post("/api/v1/engagements", json=body, headers=headers)
    second = await stack.http.post("/api/v1/engagements", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert (await stack.call("GET", "/engagements", "maria", 200)).json()["total"] == 1


async def test_firm_calendar_settings_are_validated(stack: Stack) -> None:
    bad_zone = await stack.call(
        "POST", "/firms", "maria", 422, json={"name": "Zone LLP", "timezone": "Mars/Base"}
    )
    assert "unknown time zone" in bad_zone.json()["detail"]
    bad_hours = await stack.call(
        "POST",
        "/firms",
        "maria",
        422,
        json={"name": "Hours LLP", "business_hours": {"mon": ["17:00", "09:00"]}},
    )
    assert "close after they open" in bad_hours.json()["detail"]
    await stack.call("POST", "/firms", "maria", 409, json={"name": "Hale & Morrow LLP"})
    await stack.call("POST", "/firms", "carlos", 403, json={"name": "Clerk LLP"})
    created = (
        await stack.call(
            "POST",
            "/firms",
            "maria",
            201,
            json={
                "name": "Chicago LLP",
                "timezone": "America/Chicago",
                "holidays": ["US-FED", "US-IL"],
                "business_hours": {"mon": ["08:30", "17:30"], "tue": ["08:30", "17:30"]},
            },
        )
    ).json()
    assert created["business_hours"] == {"mon": ["08:30", "17:30"], "tue": ["08:30", "17:30"]}


async def test_readiness_reports_database_and_temporal(stack: Stack) -> None:
    ready = await stack.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "temporal": "ok"}


async def test_readiness_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    from tests.harness import running_api

    broken = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    async with running_api(broken) as (http, _):
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")
    assert response.json()["temporal"] == "ok"
