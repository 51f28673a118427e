"""The start reconciler finishes the creates whose workflow start nobody confirmed and whose
client never retried: it confirms a workflow that did start, and starts one that did not, from
the input stored with the row; each engagement is audited as created once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from domain.housekeeping import (
    START_RECONCILER_WORKFLOW,
    ReconcileStartsInput,
    ReconcileStartsResult,
)
from tests.creates import (
    created_entries,
    engagement_rows,
    engagement_runs,
    motion,
    post,
    sql,
    workflow_exists,
)
from tests.tcp_proxy import ProxiedStack, stack_behind_proxy
from workers.schedules import housekeeping


@pytest.fixture
async def flaky(
    settings: Settings, temporal_env: WorkflowEnvironment
) -> AsyncIterator[ProxiedStack]:
    async with stack_behind_proxy(settings, temporal_env.client) as proxied:
        yield proxied


async def reconcile(proxied: ProxiedStack, grace_seconds: int) -> ReconcileStartsResult:
    """One run of the reconciler workflow on the test's worker, as its schedule starts it."""
    result: ReconcileStartsResult = await proxied.direct.execute_workflow(
        START_RECONCILER_WORKFLOW,
        ReconcileStartsInput(grace_seconds=grace_seconds),
        id=f"start-reconciler-test-{uuid.uuid4()}",
        task_queue=proxied.stack.settings.task_queue,
        result_type=ReconcileStartsResult,
    )
    return result


async def failed_create(proxied: ProxiedStack, key: str, *, deaf: bool) -> str:
    """A create answered 503 whose client never comes back; returns the reserved row's id."""
    before = set(await engagement_rows(proxied.stack.settings))
    if deaf:
        proxied.proxy.deafen()  # the start reaches Temporal, its answer does not come back
    else:
        proxied.proxy.blackhole()  # the start never reaches Temporal
    answer = await asyncio.wait_for(post(proxied.stack, "maria", key, motion(proxied.stack)), 30)
    proxied.proxy.heal()
    assert answer.status_code == 503, answer.text
    [reserved] = set(await engagement_rows(proxied.stack.settings)) - before
    return reserved


async def test_the_reconciler_confirms_a_lost_answer_and_starts_a_start_that_never_arrived(
    flaky: ProxiedStack,
) -> None:
    stack = flaky.stack
    lost_answer = await failed_create(flaky, "motion-20", deaf=True)
    never_arrived = await failed_create(flaky, "motion-21", deaf=False)
    assert await workflow_exists(flaky, lost_answer)
    assert not await workflow_exists(flaky, never_arrived)
    assert (await stack.call("GET", "/engagements", "maria", 200)).json()["total"] == 0

    # Within the grace period a create may still be finishing: left alone.
    assert await reconcile(flaky, grace_seconds=3600) == ReconcileStartsResult()

    done = await reconcile(flaky, grace_seconds=0)
    assert (done.confirmed, done.started, done.failed) == (1, 1, 0)
    assert sorted(done.engagement_ids) == sorted([lost_answer, never_arrived])
    assert sorted(await engagement_rows(stack.settings)) == sorted(done.engagement_ids)
    workflow_ids = [await stack.workflow_id(e) for e in (lost_answer, never_arrived)]
    assert await engagement_runs(flaky.direct, stack.settings) == sorted(workflow_ids)
    listed = (await stack.call("GET", "/engagements", "maria", 200)).json()
    assert {item["id"] for item in listed["items"]} == {lost_answer, never_arrived}
    assert {item["status"] for item in listed["items"]} == {"running"}
    for engagement_id in (lost_answer, never_arrived):
        assert await created_entries(stack.settings, engagement_id) == 1
        # The workflow started from the stored input runs like any other.
        await stack.wait_for_task(engagement_id, "draft", "carlos")
    pending = await sql(
        stack.settings, "SELECT count(*) FROM engagements WHERE start_input IS NOT NULL"
    )
    assert pending == [0]  # the stored input is dropped once the workflow holds it

    # Idempotent: a second run finds nothing; the client's late retry gets the same engagement
    # and audits nothing more.
    assert await reconcile(flaky, grace_seconds=0) == ReconcileStartsResult()
    late = await post(stack, "maria", "motion-20", motion(stack))
    assert (late.status_code, late.json()["id"]) == (201, lost_answer)
    assert await created_entries(stack.settings, lost_answer) == 1
    audit = (await stack.call("GET", f"/audit?engagement_id={never_arrived}", "maria", 200)).json()
    created = [e for e in audit if e["action"] == "engagement.created"]
    assert created[0]["actor_id"] == stack.user_ids["maria"]
    assert created[0]["detail"]["confirmed_by"] == "start-reconciler"


def test_the_reconciler_runs_on_a_schedule_on_every_task_queue() -> None:
    schedules = housekeeping("docketflow")
    reconciler = schedules["start-reconciler-docketflow"]
    assert reconciler.action.workflow == START_RECONCILER_WORKFLOW  # type: ignore[attr-defined]
