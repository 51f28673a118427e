"""The 45 CFR 164.524(b)(2) access clock in medical-records-demand, through the API and a real
workflow (https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/
section-164.524).

(b)(2)(i): a right-of-access request is acted on "no later than 30 days after receipt of the
request" — the provider's receipt, not the day our clerk finished the request; (b)(2)(ii): one
extension of at most 30 more days, on a written statement of the reasons and the date. Requests
under an authorization (164.508) or a subpoena are not on this clock.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from sla.day_count import deadline_after
from tests.harness import Stack

NY = "America/New_York"  # the firm's zone (the API's default)
TEMPLATE = "medical-records-demand"


def _today() -> date:
    return datetime.now(ZoneInfo(NY)).date()


def _day(offset: int) -> str:
    return (_today() + timedelta(days=offset)).isoformat()


async def _prepare_request(floor: Stack, pathway: str) -> tuple[str, dict[str, Any]]:
    """An engagement with one provider, taken to its records request, claimed by ana."""
    inputs = {
        "client_name": "R. Client",
        "date_of_incident": "2026-01-10",
        "jurisdiction": "GA",
        "claim_number": "CLM-1",
        "insurer": "Acme Mutual",
        "providers": [
            {"name": "St. Mary's", "provider_type": "hospital", "request_pathway": pathway}
        ],
    }
    engagement_id = await floor.create_engagement("maria", floor.user_ids["firm"], TEMPLATE, inputs)
    verify = await floor.wait_for_task(engagement_id, "verify_authorization", "ana")
    await floor.claim_and_complete(
        verify["id"],
        "ana",
        "ready",
        {"authorization_signed_on": _day(-20), "expires_on": _day(300)},
    )
    prepare = await floor.wait_for_task(engagement_id, "prepare_request", "ana")
    await floor.call("POST", f"/tasks/{prepare['id']}/claim", "ana", 200)
    return engagement_id, prepare


def _request(pathway: str, **dates: str) -> dict[str, Any]:
    return {
        "custodian": "St. Mary's HIM",
        "request_pathway": pathway,
        "method": "fax",
        "sent_on": _day(-7),
        **dates,
    }


async def _send(
    floor: Stack, task: dict[str, Any], outcome: str, output: dict[str, Any]
) -> httpx.Response:
    return await floor.call(
        "POST", f"/tasks/{task['id']}/complete", "ana", json={"outcome": outcome, "output": output}
    )


async def _wait_task(floor: Stack, engagement_id: str, step_id: str) -> dict[str, Any]:
    task = await floor.wait_for_task(engagement_id, step_id, "maria")
    return (await floor.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()  # type: ignore[no-any-return]


async def _post(
    floor: Stack, engagement_id: str, type_: str, payload: dict[str, Any]
) -> httpx.Response:
    body = {"type": type_, "payload": payload, "item": 1}
    return await floor.call("POST", f"/engagements/{engagement_id}/events", "maria", json=body)


async def _deadline_marks(floor: Stack, engagement_id: str, count: int) -> list[dict[str, Any]]:
    """The timeline's `wait.deadline` entries, once `count` are written (the wait's row comes
    first, its timeline entry right after)."""
    marks: list[dict[str, Any]] = []
    for _ in range(100):
        detail = (await floor.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
        marks = [e for e in detail["timeline"] if e["type"] == "wait.deadline"]
        if len(marks) >= count:
            break
        await asyncio.sleep(0.1)
    return marks


def _due(task: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(task["due_at"])


async def test_the_access_clock_runs_from_the_providers_receipt_not_the_wait_start(
    floor: Stack,
) -> None:
    engagement_id, prepare = await _prepare_request(floor, "right_of_access_164_524")
    output = _request("right_of_access_164_524", provider_received_on=_day(-5))
    sent = await _send(floor, prepare, "right_of_access_164_524", output)
    assert sent.status_code == 200, sent.text
    wait = await _wait_task(floor, engagement_id, "await_records")
    # 164.524(b)(2)(i): the end of day 30 after receipt in the firm's zone (25 days from now).
    assert _due(wait) == deadline_after(_today() - timedelta(days=5), 30, NY)
    marks = await _deadline_marks(floor, engagement_id, count=1)
    assert [m["detail"]["counted_from"] for m in marks] == ["prepare_request.provider_received_on"]
    assert marks[0]["detail"]["captured"] == _day(-5)


async def test_a_request_received_more_than_30_days_ago_is_overdue_at_once(floor: Stack) -> None:
    engagement_id, prepare = await _prepare_request(floor, "right_of_access_164_524")
    output = _request("right_of_access_164_524", sent_on=_day(-40), provider_received_on=_day(-31))
    assert (await _send(floor, prepare, "right_of_access_164_524", output)).status_code == 200
    # Day 30 ended yesterday: the follow-up opens now, not 30 days after the clerk's entry.
    follow_up = await floor.wait_for_task(engagement_id, "follow_up", "ana")
    assert follow_up["status"] == "open"
    detail = (await floor.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    timed_out = [e["step_id"] for e in detail["timeline"] if e["type"] == "wait.timed_out"]
    assert timed_out == ["await_records"]


async def test_a_receipt_in_the_future_or_before_sending_is_refused_and_loses_nothing(
    floor: Stack,
) -> None:
    engagement_id, prepare = await _prepare_request(floor, "right_of_access_164_524")
    for received, words in ((_day(1), "after today"), (_day(-8), "is before sent_on")):
        output = _request("right_of_access_164_524", provider_received_on=received)
        refused = await _send(floor, prepare, "right_of_access_164_524", output)
        assert refused.status_code == 422, refused.text
        assert "provider_received_on" in refused.json()["detail"]
        assert words in refused.json()["detail"]
        assert "164.524(b)(2)(i)" in refused.json()["detail"]
    missing = await _send(
        floor, prepare, "right_of_access_164_524", _request("right_of_access_164_524")
    )
    assert missing.status_code == 422 and "provider_received_on" in missing.text
    # The task is still the clerk's: the corrected request goes through.
    task = (await floor.call("GET", f"/tasks/{prepare['id']}", "ana", 200)).json()
    assert task["status"] == "claimed"
    output = _request("right_of_access_164_524", provider_received_on=_day(-7))
    assert (await _send(floor, prepare, "right_of_access_164_524", output)).status_code == 200
    await floor.wait_for_task(engagement_id, "await_records", "maria")


async def test_one_written_extension_moves_the_deadline_to_its_date_and_no_further(
    floor: Stack,
) -> None:
    engagement_id, prepare = await _prepare_request(floor, "right_of_access_164_524")
    received = _today() - timedelta(days=5)
    output = _request("right_of_access_164_524", provider_received_on=received.isoformat())
    assert (await _send(floor, prepare, "right_of_access_164_524", output)).status_code == 200
    await _wait_task(floor, engagement_id, "await_records")

    notice = {"notice_received_on": _day(0), "reasons": "records archived off site"}
    no_reasons = await _post(floor, engagement_id, "extension_notice", {"expected_by": _day(20)})
    assert no_reasons.status_code == 422, no_reasons.text
    assert "reasons" in no_reasons.json()["detail"]
    day_61 = (received + timedelta(days=61)).isoformat()
    too_late = await _post(
        floor, engagement_id, "extension_notice", {**notice, "expected_by": day_61}
    )
    assert too_late.status_code == 422, too_late.text
    assert "day 60" in too_late.json()["detail"]
    assert "164.524(b)(2)(ii)" in too_late.json()["detail"]

    day_45 = received + timedelta(days=45)
    extended = await _post(
        floor, engagement_id, "extension_notice", {**notice, "expected_by": day_45.isoformat()}
    )
    assert extended.status_code == 200, extended.text
    assert extended.json() == {"step_id": "await_records", "outcome": "extended"}
    extension = await _wait_task(floor, engagement_id, "await_extension")
    assert _due(extension) == deadline_after(day_45, 0, NY)  # the notice's date, day 45
    # The notice is kept with the wait it resolved (reasons and date), and on the timeline.
    records_wait = await _wait_task(floor, engagement_id, "await_records")
    assert records_wait["output"]["reasons"] == "records archived off site"
    assert records_wait["output"]["expected_by"] == day_45.isoformat()
    marks = await _deadline_marks(floor, engagement_id, count=2)
    assert [m["detail"]["counted_from"] for m in marks][-1] == "await_records.expected_by"

    # 164.524(b)(2)(ii)(B): only one extension per request.
    second = await _post(
        floor, engagement_id, "extension_notice", {**notice, "expected_by": day_45.isoformat()}
    )
    assert second.status_code == 409, second.text
    assert second.json()["detail"] == (
        "'extension_notice' was already received at step 'await_records' for this item, "
        "and no step takes it again"
    )

    got = await _post(floor, engagement_id, "records_received", {"note": "1,200 pages"})
    assert got.status_code == 200, got.text
    log = await floor.wait_for_task(engagement_id, "log_receipt", "ana")
    await floor.claim_and_complete(
        log["id"], "ana", "logged", {"received_on": _day(0), "page_count": 1200}
    )
    # The provider's item run ends once its receipt is logged: its history holds the patch.
    parent = await floor.workflow_id(engagement_id)
    item = floor.temporal.get_workflow_handle(f"{parent}.request_records.1.1")
    await asyncio.wait_for(item.result(), timeout=30)
    await floor.record_history(engagement_id, "medical-records-item-extension", workflow_id=item.id)


async def test_an_authorization_request_takes_its_own_cadence_not_the_access_clock(
    floor: Stack,
) -> None:
    engagement_id, prepare = await _prepare_request(floor, "authorization_164_508")
    output = _request("authorization_164_508")  # no receipt date needed: no 164.524 clock
    sent = await _send(floor, prepare, "authorization_164_508", output)
    assert sent.status_code == 200, sent.text
    wait = await _wait_task(floor, engagement_id, "await_authorized_records")
    assert wait["due_at"] is None
    detail = (await floor.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
    assert not [e for e in detail["timeline"] if e["type"] == "wait.deadline"]
    # An extension notice is a 164.524 notion: this wait does not take one.
    refused = await _post(floor, engagement_id, "extension_notice", {})
    assert refused.status_code == 409


async def test_a_subpoena_waits_for_its_return_date(floor: Stack) -> None:
    engagement_id, prepare = await _prepare_request(floor, "subpoena")
    no_date = await _send(floor, prepare, "subpoena", _request("subpoena"))
    assert no_date.status_code == 422 and "subpoena_return_date" in no_date.text
    sent = await _send(
        floor, prepare, "subpoena", _request("subpoena", subpoena_return_date=_day(20))
    )
    assert sent.status_code == 200, sent.text
    wait = await _wait_task(floor, engagement_id, "await_subpoena_return")
    assert _due(wait) == deadline_after(_today() + timedelta(days=20), 0, NY)


async def test_the_outcome_must_be_the_pathway_the_request_records(floor: Stack) -> None:
    _, prepare = await _prepare_request(floor, "subpoena")
    output = _request("subpoena", subpoena_return_date=_day(20))
    refused = await _send(floor, prepare, "right_of_access_164_524", output)
    assert refused.status_code == 422, refused.text
    assert "request_pathway" in refused.json()["detail"]
