"""Court rules through the API: the catalog, rule deadlines, the rest of FRCP 6, and the
court-deadlines template computing (and recomputing) every deadline its trigger implies."""

from __future__ import annotations

import asyncio
from typing import Any

from domain.enums import Role
from tests.harness import Stack


async def test_the_rule_catalog_lists_each_rule_with_its_citation(stack: Stack) -> None:
    rules = (await stack.call("GET", "/deadlines/rules", "carlos", 200)).json()
    by_id = {rule["id"]: rule for rule in rules}
    answer = by_id["frcp-33b2-interrogatory-answers"]
    assert answer["citation"] == "FRCP 33(b)(2)"
    assert (answer["days"], answer["direction"], answer["trigger"]) == (
        30,
        "after",
        "discovery_served",
    )
    assert answer["service_extension"] is True
    assert by_id["frcp-60c1-relief-from-judgment"]["years"] == 1
    assert len(rules) >= 20


async def test_a_rule_deadline_applies_6a_and_6d_and_explains_each_step(stack: Stack) -> None:
    body = {
        "kind": "rule",
        "rule": "frcp-34b2A-production-response",
        "trigger": "2026-03-02",
        "service": "mail",
        "jurisdiction": "US-FED-CA",
        "court_timezone": "America/Los_Angeles",
    }
    result = (await stack.call("POST", "/deadlines/compute", "paula", 200, json=body)).json()
    assert result["deadline"] == "2026-04-06"  # Wed 4/1 + 3 = Sat 4/4 -> Mon 4/6
    assert result["last_moment"].startswith("2026-04-06T23:59:59")
    assert result["last_moment"].endswith("-07:00")
    assert result["rule"] == "frcp-34b2A-production-response"
    assert result["explanation"][0].startswith("FRCP 34(b)(2)(A)")
    assert any("FRCP 6(d)" in line for line in result["explanation"])
    unknown = await stack.call(
        "POST", "/deadlines/compute", "paula", 422, json={**body, "rule": "frcp-99"}
    )
    assert "GET /deadlines/rules" in unknown.json()["detail"]


async def test_declared_holidays_and_an_inaccessible_office_move_the_last_day(
    stack: Stack,
) -> None:
    base = {"kind": "court_days", "trigger": "2026-01-02", "days": 5, "jurisdiction": "US-FED"}
    plain = (await stack.call("POST", "/deadlines/compute", "maria", 200, json=base)).json()
    assert plain["deadline"] == "2026-01-07" and plain["last_moment"] is None
    declared = {**base, "declared_holidays": [{"date": "2026-01-07", "name": "Day of Mourning"}]}
    mourned = (await stack.call("POST", "/deadlines/compute", "maria", 200, json=declared)).json()
    assert mourned["deadline"] == "2026-01-08"
    assert "FRCP 6(a)(6)(B)" in mourned["rule_citations"]
    closed = {**base, "inaccessible": ["2026-01-07", "2026-01-08"]}
    moved = (await stack.call("POST", "/deadlines/compute", "maria", 200, json=closed)).json()
    assert moved["deadline"] == "2026-01-09"
    assert "FRCP 6(a)(3)(A)" in moved["rule_citations"]


async def test_court_hours_run_to_the_same_time_on_the_next_open_day(stack: Stack) -> None:
    body = {
        "kind": "court_hours",
        "start": "2026-07-02T15:00:00-04:00",
        "hours": 48,
        "jurisdiction": "US-FED",
        "court_timezone": "America/New_York",
    }
    result = (await stack.call("POST", "/deadlines/compute", "carlos", 200, json=body)).json()
    assert result["ends_at"] == "2026-07-06T15:00:00-04:00"
    assert any("6(a)(2)(C)" in line for line in result["explanation"])
    await stack.call(
        "POST", "/deadlines/compute", "carlos", 422, json={**body, "court_timezone": "Mars/Base"}
    )


async def _computed(stack: Stack, engagement_id: str, visit: int) -> dict[str, Any]:
    for _ in range(200):
        detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
        found = [
            e["detail"]
            for e in detail["timeline"]
            if e["type"] == "step.completed" and e["step_id"] == "compute_deadlines"
        ]
        if len(found) >= visit:
            return dict(found[visit - 1])
        await asyncio.sleep(0.1)
    raise AssertionError("the deadlines were not computed")


async def test_the_template_computes_every_deadline_and_recomputes_on_a_trigger_change(
    stack: Stack,
) -> None:
    await stack.add_user("dora", Role.CLERK, ["docketing"])
    await stack.add_user("vic", Role.CLERK, ["docketing"])
    inputs = {
        "court": "S.D.N.Y.",
        "case_number": "1:26-cv-00412",
        "jurisdiction": "US-FED-NY",
        "trigger_type": "discovery_served",
        "trigger_date": "2026-03-02",
        "service_method": "mail",
    }
    engagement_id = await stack.create_engagement(
        "maria", stack.user_ids["firm"], "court-deadlines", inputs
    )
    record = await stack.wait_for_task(engagement_id, "record_trigger", "dora")
    await stack.claim_and_complete(
        record["id"],
        "dora",
        "recorded",
        {"trigger_document": "ECF 41", "trigger_date": "2026-03-02", "service_method": "mail"},
    )
    first = await _computed(stack, engagement_id, 1)
    assert [(d["rule_citation"], d["due_date"]) for d in first["deadlines"]] == [
        ("FRCP 33(b)(2)", "2026-04-06"),
        ("FRCP 34(b)(2)(A)", "2026-04-06"),
        ("FRCP 36(a)(3)", "2026-04-06"),
    ]
    assert first["service"] == "mail"
    verify = await stack.wait_for_task(engagement_id, "verify_deadlines", "vic")
    checked = [
        {"event": d["event"], "due_date": d["due_date"], "rule_citation": d["rule_citation"],
         "verified": True}
        for d in first["deadlines"]
    ]  # fmt: skip
    await stack.claim_and_complete(verify["id"], "vic", "verified", {"deadlines": checked})
    await stack.wait_for_task(engagement_id, "watch_deadlines", "maria")
    await stack.call(
        "POST",
        f"/engagements/{engagement_id}/events",
        "maria",
        200,
        json={"type": "trigger_changed", "payload": {"reason": "re-served by hand"}},
    )
    again = await stack.wait_for_task(engagement_id, "record_trigger", "dora", visit=2)
    await stack.claim_and_complete(
        again["id"],
        "dora",
        "recorded",
        {"trigger_document": "ECF 44", "trigger_date": "2026-03-09", "service_method": "hand"},
    )
    second = await _computed(stack, engagement_id, 2)
    # Hand delivery adds nothing (6(d)); 30 days after Mon 3/9 is Wed 4/8.
    assert {d["due_date"] for d in second["deadlines"]} == {"2026-04-08"}
    assert second["service"] == "personal"


async def test_a_period_past_the_end_of_the_calendar_is_a_422_not_a_500(stack: Stack) -> None:
    for body in (
        {"kind": "court_days", "trigger": "9999-12-20", "days": 30},
        {"kind": "rule", "rule": "frcp-50b-renewed-jmol", "trigger": "9999-12-20"},
        {"kind": "court_hours", "start": "9999-12-30T00:00:00Z", "hours": 100,
         "court_timezone": "UTC"},
    ):  # fmt: skip
        response = await stack.call("POST", "/deadlines/compute", "maria", 422, json=body)
        assert "calendar" in response.json()["detail"]
