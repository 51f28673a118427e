"""POST /deadlines/compute: the FRCP 6 court-day calculator and business-hours due times."""

from __future__ import annotations

from tests.harness import Stack


async def test_court_days_follow_frcp_6a_with_an_explanation(stack: Stack) -> None:
    # docs/service-lines.md §3.1: trigger Thu 18 Jun 2026, 3 days: Juneteenth counts,
    # Sunday rolls to Monday.
    result = await stack.call(
        "POST",
        "/deadlines/compute",
        "carlos",
        200,
        json={
            "kind": "court_days",
            "trigger": "2026-06-18",
            "days": 3,
            "direction": "after",
            "jurisdiction": "US-FED",
        },
    )
    body = result.json()
    assert body["deadline"] == "2026-06-22"
    assert any("rolls forward" in line for line in body["explanation"])
    assert any("6(a)" in rule for rule in body["rule_citations"])


async def test_electronic_service_adds_no_days_but_mail_adds_three(stack: Stack) -> None:
    base = {"kind": "court_days", "trigger": "2026-03-02", "days": 14, "jurisdiction": "US-FED"}
    electronic = await stack.call(
        "POST", "/deadlines/compute", "paula", 200, json={**base, "service": "electronic"}
    )
    mail = await stack.call(
        "POST", "/deadlines/compute", "paula", 200, json={**base, "service": "mail"}
    )
    assert electronic.json()["deadline"] == "2026-03-16"
    assert mail.json()["deadline"] == "2026-03-19"


async def test_business_hours_skip_nights_weekends_and_holidays(stack: Stack) -> None:
    # Friday 3 Jul 2026 is the observed Independence Day holiday: 8 business hours from Thursday
    # 2 Jul 13:00 run to Monday 6 Jul 13:00.
    result = await stack.call(
        "POST",
        "/deadlines/compute",
        "maria",
        200,
        json={
            "kind": "business_hours",
            "start": "2026-07-02T13:00:00-04:00",
            "hours": 8,
            "timezone": "America/New_York",
            "holidays": ["US-FED"],
        },
    )
    assert result.json()["due_at"] == "2026-07-06T13:00:00-04:00"


async def test_bad_calculator_input_is_a_clear_422(stack: Stack) -> None:
    cases = [
        ({"kind": "court_days", "trigger": "2026-02-30", "days": 3}, "trigger"),
        (
            {"kind": "court_days", "trigger": "2026-02-03", "days": 3, "jurisdiction": "US-XX"},
            "unknown jurisdiction",
        ),
        ({"kind": "business_hours", "start": "2026-07-02T13:00:00", "hours": 8}, "start"),
        (
            {
                "kind": "business_hours",
                "start": "2026-07-02T13:00:00Z",
                "hours": 8,
                "timezone": "Mars/Base",
            },
            "unknown time zone",
        ),
        ({"kind": "lunar"}, "kind"),
    ]
    for body, expected in cases:
        response = await stack.call("POST", "/deadlines/compute", "maria", 422, json=body)
        assert expected in response.text, (body, response.text)
    assert (await stack.http.post("/api/v1/deadlines/compute", json=cases[0][0])).status_code == 401
