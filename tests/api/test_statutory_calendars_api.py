"""State holidays from the statutes through the API: court deadlines in US-FED-NY/US-FED-CA
districts, calendars without a data file refused, and an engagement keeping the holidays it
started with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import sla.holiday_sources
from domain.enums import Role
from domain.messages import EngagementInput
from tests.harness import Stack

# (jurisdiction, trigger, days, direction, deadline, rule): day N lands on a state holiday.
COURT_ROWS = [
    # N.Y. Gen. Constr. Law § 24: Lincoln's Birthday, Fri 12 Feb 2027, rolls a forward period
    # over the weekend and Washington's Birthday to Tue 16 Feb (FRCP 6(a)(6)(C)).
    ("US-FED-NY", "2027-01-29", 14, "after", "2027-02-16", "§ 24 Lincoln's Birthday"),
    # Susan B. Anthony Day (Tue 15 Feb 2028) is not in § 24: a court day, no roll.
    ("US-FED-NY", "2028-02-01", 14, "after", "2028-02-15", "not a § 24 holiday"),
    # § 24 "each general election day": Tue 2 Nov 2027 rolls to Wed 3 Nov.
    ("US-FED-NY", "2027-10-19", 14, "after", "2027-11-03", "§ 24 Election Day"),
    # Backward-counted: state holidays do not count (FRCP 6(a)(6)(C)), Lincoln's Birthday stays.
    ("US-FED-NY", "2027-02-26", 14, "before", "2027-02-12", "6(a)(6)(C) forward only"),
    # Cal. Gov. Code § 6700(a)(11), CCP § 135: Native American Day, Fri 24 Sep 2027 -> Mon 27.
    ("US-FED-CA", "2027-09-10", 14, "after", "2027-09-27", "§ 6700 Native American Day"),
    # § 6700(a)(4) Lincoln Day, Fri 12 Feb 2027 -> Tue 16 Feb (Mon is Washington Day).
    ("US-FED-CA", "2027-01-29", 14, "after", "2027-02-16", "§ 6700 Lincoln Day"),
    # § 6700(a)(6) César Chávez Day, Wed 31 Mar 2027 -> Thu 1 Apr.
    ("US-FED-CA", "2027-03-17", 14, "after", "2027-04-01", "§ 6700 César Chávez Day"),
    # CCP § 135 excludes Columbus Day, but it is a federal holiday (5 U.S.C. 6103): it rolls.
    ("US-FED-CA", "2027-09-27", 14, "after", "2027-10-12", "6103(a) Columbus Day"),
]


@pytest.mark.parametrize(
    ("jurisdiction", "trigger", "days", "direction", "deadline", "rule"),
    COURT_ROWS,
    ids=[f"{row[0]}-{row[4]}" for row in COURT_ROWS],
)
async def test_a_court_deadline_rolls_off_the_state_holidays_its_statute_names(
    stack: Stack,
    jurisdiction: str,
    trigger: str,
    days: int,
    direction: str,
    deadline: str,
    rule: str,
) -> None:
    result = await stack.call(
        "POST",
        "/deadlines/compute",
        "carlos",
        200,
        json={
            "kind": "court_days",
            "trigger": trigger,
            "days": days,
            "direction": direction,
            "jurisdiction": jurisdiction,
        },
    )
    assert result.json()["deadline"] == deadline, (rule, result.json()["explanation"])


async def test_a_district_without_a_statutory_calendar_is_a_422_naming_the_supported_ones(
    stack: Stack,
) -> None:
    body = {"kind": "court_days", "trigger": "2027-01-04", "days": 3, "direction": "after"}
    refused = await stack.call(
        "POST", "/deadlines/compute", "carlos", 422, json={**body, "jurisdiction": "US-FED-WA"}
    )
    assert "supported jurisdictions are US-FED, US-FED-CA" in refused.text


async def test_a_firm_calendar_without_a_data_file_is_refused_and_nothing_is_created(
    stack: Stack,
) -> None:
    refused = await stack.call(
        "POST", "/firms", "maria", 422, json={"name": "Puget LLP", "holidays": ["US-FED", "US-WA"]}
    )
    assert "supported calendars are US-FED, US-CA" in refused.text
    firms = await stack.call("GET", "/firms", "maria", 200)
    assert "Puget LLP" not in {firm["name"] for firm in firms.json()}
    hours = await stack.call(
        "POST",
        "/deadlines/compute",
        "maria",
        422,
        json={
            "kind": "business_hours",
            "start": "2027-02-11T17:00:00-08:00",
            "hours": 8,
            "timezone": "America/Los_Angeles",
            "holidays": ["US-PR"],
        },
    )
    assert "supported calendars are" in hours.text


async def test_a_us_ca_firm_calendar_closes_on_lincoln_day(stack: Stack) -> None:
    """Cal. Gov. Code § 6700(a)(4) and (a)(5): 8 business hours from Thursday 11 Feb 2027's close
    skip Lincoln Day (Fri 12) and Washington Day (Mon 15), to Tuesday's close."""
    result = await stack.call(
        "POST",
        "/deadlines/compute",
        "maria",
        200,
        json={
            "kind": "business_hours",
            "start": "2027-02-11T17:00:00-08:00",
            "hours": 8,
            "timezone": "America/Los_Angeles",
            "holidays": ["US-FED", "US-CA"],
        },
    )
    assert result.json()["due_at"] == "2027-02-16T17:00:00-08:00"


def _due(task: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(task["due_at"]).replace("Z", "+00:00"))


async def test_a_running_engagement_keeps_the_holidays_it_started_with(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Engagement A starts; then the holiday data changes in-process (today and the next 60 days
    become federal holidays). A's next SLA is still counted on the dates A started with, while
    an engagement started after the change gets the new dates."""
    firm_id = stack.user_ids["firm"]
    first = await stack.create_engagement("maria", firm_id)
    draft = await stack.wait_for_task(first, "draft", "carlos")
    started = datetime.now(UTC)
    today = started.date()
    closed = {today + timedelta(days=n): "Data change" for n in range(-1, 61)}
    original = sla.holiday_sources._holidays_for_year

    def changed(code: str, year: int) -> Mapping[date, str]:
        table = dict(original(code, year))
        if code == "US-FED":
            table.update({day: name for day, name in closed.items() if day.year == year})
        return table

    monkeypatch.setattr(sla.holiday_sources, "_holidays_for_year", changed)

    await stack.claim_and_complete(draft["id"], "carlos", draft=True)
    qc = await stack.wait_for_task(first, "qc", "quinn")
    # 8 business hours on the original calendar end within a long weekend; on the changed one
    # they would end after the 60 closed days.
    assert _due(qc) - started < timedelta(days=10), qc["due_at"]

    second = await stack.create_engagement("maria", firm_id)
    later = await stack.wait_for_task(second, "draft", "carlos")
    assert _due(later) - started > timedelta(days=60), later["due_at"]


async def test_the_workflow_input_carries_the_firms_holidays_as_dates(stack: Stack) -> None:
    """A New York firm (US-FED + US-NY): the input holds § 24's days for the start year - 1 ..
    + 3, so the workflow runs no holiday rule. Recorded as a replay history (new inputs)."""
    firm = await stack.call(
        "POST",
        "/firms",
        "maria",
        201,
        json={"name": "Empire Docket LLP", "holidays": ["US-FED", "US-NY"]},
    )
    firm_id = str(firm.json()["id"])
    await stack.add_user("nora", Role.PARTNER, firm=firm_id)
    engagement_id = await stack.create_engagement("maria", firm_id)
    draft = await stack.wait_for_task(engagement_id, "draft", "carlos")

    handle = stack.temporal.get_workflow_handle(await stack.workflow_id(engagement_id))
    started = (await handle.fetch_history()).events[0]
    [params] = await stack.temporal.data_converter.decode(
        started.workflow_execution_started_event_attributes.input.payloads, [EngagementInput]
    )
    calendar = params.calendar
    year = datetime.now(UTC).year
    assert calendar.holidays == ["US-FED", "US-NY"]
    assert calendar.resolved_years == [year - 1, year + 3]
    assert calendar.resolved_holidays is not None
    assert calendar.resolved_holidays[date(year + 1, 2, 12)] == "Lincoln's Birthday"
    assert not any("Anthony" in name for name in calendar.resolved_holidays.values())

    await stack.claim_and_complete(draft["id"], "carlos", draft=True)
    qc = await stack.wait_for_task(engagement_id, "qc", "quinn")
    await stack.claim_and_complete(qc["id"], "quinn", "approved")
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "nora")
    await stack.claim_and_complete(approval["id"], "nora", "approved")
    await stack.wait_for_status(engagement_id, "completed", "maria")
    await stack.record_history(engagement_id, "draft-qc-efile-resolved-holidays")


async def test_a_firm_saved_with_a_calendar_that_has_no_statute_file_cannot_start_work(
    stack: Stack,
) -> None:
    """A firm row from before statutory calendars may name e.g. US-WA: creating an engagement is
    a clear 422 naming the supported calendars, and no engagement is left behind."""
    engine = create_async_engine(stack.settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE firms SET holidays = ARRAY['US-FED', 'US-WA'] WHERE id = :id"),
                {"id": stack.user_ids["firm"]},
            )
    finally:
        await engine.dispose()
    refused = await stack.call(
        "POST",
        "/engagements",
        "maria",
        422,
        json={
            "firm_id": stack.user_ids["firm"],
            "template": "draft-qc-efile",
            "title": "Motion",
            "matter_ref": "HM-1",
            "inputs": {"court": "SDNY", "case_number": "1:24-cv-1", "document_type": "motion"},
        },
    )
    assert "unknown holiday calendar 'US-WA'" in refused.text
    assert "supported calendars are US-FED, US-CA" in refused.text
    listed = await stack.call("GET", "/engagements", "maria", 200)
    assert listed.json()["items"] == []
