"""/metrics tells an operator what the floor is doing: queues, claims, completions, SLA events,
Update latency and request latency by route, after real work through the real API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from core.settings import Settings
from tests.harness import Stack, running_api
from tests.operations.scrape import label_values, sample

TIMED = {
    "key": "timed-alert",
    "name": "A task that breaches",
    "steps": [
        {
            "id": "work",
            "kind": "human",
            "queue": "timed",
            "outcomes": {"done": "end"},
            "sla": {"calendar": "24x7", "target": "PT1S"},
        }
    ],
}


async def _scrape(stack: Stack) -> str:
    response = await stack.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_claims_completions_and_queue_depth_move_with_the_work(stack: Stack) -> None:
    firm = stack.user_ids["firm"]
    before = await _scrape(stack)
    engagement_id = await stack.create_engagement("maria", firm)
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")

    waiting = await _scrape(stack)
    assert sample(waiting, "docketflow_queue_depth", queue="drafting") == 1
    assert sample(waiting, "docketflow_queue_oldest_age_seconds", queue="drafting") > 0
    assert sample(waiting, "docketflow_engagements_stuck") == 0

    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    await stack.call("POST", f"/tasks/{task['id']}/release", "carlos", 200)
    await stack.claim_and_complete(task["id"], "carlos", draft=True)
    after = await _scrape(stack)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("docketflow_task_claims_total", queue="drafting", via="claim") == 2
    assert moved("docketflow_task_releases_total", queue="drafting") == 1
    assert moved("docketflow_task_completions_total", queue="drafting", outcome="done") == 1
    assert moved("docketflow_workflow_update_seconds_count", outcome="ok") >= 1
    assert sample(after, "docketflow_queue_depth", queue="drafting") == 0

    # Request latency is labelled by route template: one series per route, never per task id.
    handlers = label_values(after, "http_request_duration_seconds_count", "handler")
    assert "/api/v1/tasks/{task_id}/claim" in handlers
    assert not any(task["id"] in handler for handler in handlers)
    assert "/metrics" not in handlers  # scrapes are not timed


async def test_a_breach_is_counted_by_firm_and_template(stack: Stack) -> None:
    firm = stack.user_ids["firm"]
    await stack.call("POST", "/templates", "maria", 201, json={"definition": TIMED})
    before = await _scrape(stack)
    await stack.call(
        "POST",
        "/engagements",
        "maria",
        201,
        json={"firm_id": firm, "template": "timed-alert", "title": "t", "matter_ref": "m"},
    )
    labels = {"kind": "breach", "firm_id": firm, "template": "timed-alert"}
    body = before
    for _ in range(300):
        body = await _scrape(stack)
        if sample(body, "docketflow_sla_events_total", **labels) > sample(
            before, "docketflow_sla_events_total", **labels
        ):
            break
        await asyncio.sleep(0.1)
    assert sample(body, "docketflow_sla_events_total", **labels) == 1
    assert sample(body, "docketflow_queue_breached", queue="timed") == 1


async def _get(settings: Settings, path: str, **headers: Any) -> httpx.Response:
    async with running_api(settings) as (http, _):
        return await http.get(path, headers=headers)


async def test_a_metrics_token_keeps_scrapes_to_the_operator(settings: Settings) -> None:
    guarded = settings.model_copy(update={"metrics_token": "scrape-" + "t" * 32})
    refused = await _get(guarded, "/metrics")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await _get(guarded, "/metrics", Authorization="Bearer wrong")).status_code == 401
    allowed = await _get(guarded, "/metrics", Authorization=f"Bearer {'scrape-' + 't' * 32}")
    assert allowed.status_code == 200 and "docketflow_queue_depth" in allowed.text


async def test_prod_serves_no_metrics_without_a_token(settings: Settings) -> None:
    prod = settings.model_copy(update={"env": "prod"})
    response = await _get(prod, "/metrics")
    assert response.status_code == 403
    assert "DOCKETFLOW_METRICS_TOKEN" in response.json()["detail"]
