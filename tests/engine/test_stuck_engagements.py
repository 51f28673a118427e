"""Nothing lies: a deadline means what the rule says, and a step that raises is shown, not looped.

A date-only court deadline once reached the workflow as a naive midnight; the SLA arithmetic
raised on every workflow-task attempt while every read model said "running". Now the API
normalises it (FRCP 6(a)(4)(A)), and any exception in a step parks the engagement as `stuck`,
visible on the engagement, in the managers' attention list and alerts, until it is retried or
cancelled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from core.logging import configure_logging
from domain.catalog import builtin_templates
from domain.messages import ENGAGEMENT_WORKFLOW, EngagementInput, workflow_id_for
from store.db import make_engine, make_session_factory
from store.repositories import engagements
from tests.harness import MOTION_INPUTS, Stack


async def _create(stack: Stack, **extra: Any) -> Any:
    return await stack.call(
        "POST",
        "/engagements",
        "maria",
        json={
            "firm_id": stack.user_ids["firm"],
            "template": "draft-qc-efile",
            "title": "Opposition to motion to dismiss",
            "matter_ref": "HM-2027-0119",
            "inputs": MOTION_INPUTS,
            **extra,
        },
    )


async def test_a_date_only_court_deadline_is_the_end_of_that_day_in_the_courts_zone(
    stack: Stack,
) -> None:
    firm_zone = await _create(stack, court_deadline="2027-01-19")
    assert firm_zone.status_code == 201, firm_zone.text
    # The firm is in New York: 23:59:59.999999 EST is 04:59:59.999999 UTC the next morning.
    due = datetime.fromisoformat(firm_zone.json()["court_deadline"])
    assert due.astimezone(UTC) == datetime(2027, 1, 20, 4, 59, 59, 999999, tzinfo=UTC)
    draft = await stack.wait_for_task(firm_zone.json()["id"], "draft", "carlos")
    assert draft["status"] == "open"

    pacific = await _create(
        stack, court_deadline="2027-01-19", court_timezone="America/Los_Angeles"
    )
    assert pacific.status_code == 201, pacific.text
    due = datetime.fromisoformat(pacific.json()["court_deadline"])
    assert due.astimezone(UTC) == datetime(2027, 1, 20, 7, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"court_deadline": "2027-01-19T17:00:00"}, "court_deadline"),  # no offset: ambiguous
        ({"court_deadline": "19/01/2027"}, "court_deadline"),
        ({"court_deadline": "2027-01-19", "court_timezone": "Mars/Olympus"}, "court_timezone"),
    ],
)
async def test_an_ambiguous_or_unknown_deadline_is_refused_and_nothing_is_created(
    stack: Stack, extra: dict[str, str], field: str
) -> None:
    refused = await _create(stack, **extra)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    listed = (await stack.call("GET", "/engagements", "maria", 200)).json()
    assert listed["total"] == 0


def _failing_step_template() -> dict[str, Any]:
    """An automated step given data its activity cannot read (and one attempt to try)."""
    return {
        "key": "deadline-from-intake",
        "name": "Deadline from an intake form",
        "input_schema": {"type": "object"},
        "steps": [
            {
                "id": "compute",
                "kind": "automated",
                "activity": "deadline_compute",
                "max_attempts": 1,
                "outcomes": {"computed": "end"},
            }
        ],
    }


async def _timeline_until(stack: Stack, engagement_id: str, kind: str, count: int = 1) -> Any:
    for _ in range(200):
        detail = (await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)).json()
        if sum(e["type"] == kind for e in detail["timeline"]) >= count:
            return detail
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} x{count} in {[e['type'] for e in detail['timeline']]}")


async def test_a_step_that_raises_parks_the_engagement_as_stuck_where_managers_see_it(
    stack: Stack,
) -> None:
    await stack.call(
        "POST", "/templates", "maria", 201, json={"definition": _failing_step_template()}
    )
    engagement_id = await stack.create_engagement(
        "maria",
        stack.user_ids["firm"],
        "deadline-from-intake",
        {"trigger_date": "19/01/2027", "days": 21},  # not ISO 8601: the activity raises
    )
    detail = await _timeline_until(stack, engagement_id, "engagement.stuck")
    assert detail["status"] == "stuck"
    assert detail["current_step"] == "compute"
    stuck = next(e for e in detail["timeline"] if e["type"] == "engagement.stuck")
    assert stuck["step_id"] == "compute"
    assert "ActivityError" in stuck["detail"]["reason"]

    attention = (await stack.call("GET", "/dashboard/attention", "maria", 200)).json()
    assert attention[0]["state"] == "stuck"
    assert attention[0]["engagement_id"] == engagement_id
    assert attention[0]["task_id"] is None
    alerts = (await stack.call("GET", "/notifications", "maria", 200)).json()
    assert [a["kind"] for a in alerts] == ["engagement.stuck"]
    # A partner sees the state of their own firm's engagement, not the managers' alert.
    assert (await stack.call("GET", f"/engagements/{engagement_id}", "paula", 200)).json()[
        "status"
    ] == "stuck"

    # Clerks cannot retry; a manager can, and the step runs again (and fails again, visibly).
    await stack.call("POST", f"/engagements/{engagement_id}/retry", "carlos", 403)
    retried = await stack.call("POST", f"/engagements/{engagement_id}/retry", "maria", 200)
    assert retried.json()["status"] == "running"
    again = await _timeline_until(stack, engagement_id, "engagement.stuck", count=2)
    kinds = [e["type"] for e in again["timeline"]]
    assert kinds.index("engagement.retried") < len(kinds) - 1 - kinds[::-1].index(
        "engagement.stuck"
    )
    retried_by = next(e for e in again["timeline"] if e["type"] == "engagement.retried")
    assert retried_by["actor_id"] == stack.user_ids["maria"]

    await stack.call(
        "POST", f"/engagements/{engagement_id}/cancel", "maria", 200, json={"reason": "bad intake"}
    )
    await stack.wait_for_status(engagement_id, "cancelled", "maria")
    await stack.call("POST", f"/engagements/{engagement_id}/retry", "maria", 409)


async def test_an_exception_in_workflow_code_is_shown_and_logged_not_retried_forever(
    stack: Stack, capfd: pytest.CaptureFixture[str]
) -> None:
    """An engagement started by an older API with a naive deadline (before the API normalised
    it): the SLA arithmetic raises inside the workflow. The log line is JSON, not a
    '--- Logging error ---' from the workflow sandbox."""
    handlers = list(logging.getLogger().handlers)
    configure_logging(stack.settings.model_copy(update={"log_json": True}))
    try:
        engagement_id, firm_id = uuid.uuid4(), uuid.UUID(stack.user_ids["firm"])
        workflow_id = workflow_id_for(str(engagement_id), str(firm_id))
        template = builtin_templates()["draft-qc-efile"]
        engine = make_engine(stack.settings.database_url, pool_size=1)
        async with make_session_factory(engine).begin() as session:
            await engagements.create(
                session,
                engagement_id=engagement_id,
                firm_id=firm_id,
                template_key=template.key,
                template_version=template.version,
                title="Reply brief",
                matter_ref="HM-2027-0120",
                priority="normal",
                inputs=MOTION_INPUTS,
                court_deadline=None,
                workflow_id=workflow_id,
                created_by=None,
            )
            await engagements.confirm_started(session, engagement_id)
        await engine.dispose()
        await stack.temporal.start_workflow(
            ENGAGEMENT_WORKFLOW,
            EngagementInput(
                engagement_id=str(engagement_id),
                firm_id=str(firm_id),
                template=template,
                inputs=MOTION_INPUTS,
                court_deadline=datetime(2027, 1, 19),  # naive, as the old API let through
            ),
            id=workflow_id,
            task_queue=stack.settings.task_queue,
        )
        detail = await _timeline_until(stack, str(engagement_id), "engagement.stuck")
        assert detail["status"] == "stuck"
        reason = next(e for e in detail["timeline"] if e["type"] == "engagement.stuck")
        assert "timezone-aware" in reason["detail"]["reason"]
    finally:
        logging.getLogger().handlers[:] = handlers
    logged = capfd.readouterr()
    assert "Logging error" not in logged.err + logged.out
    lines = [json.loads(line) for line in logged.err.splitlines() if line.startswith("{")]
    stuck_lines = [line for line in lines if line["event"].startswith("engagement.stuck")]
    assert stuck_lines, logged.err[-2000:]
    assert stuck_lines[0]["level"] == "error"
