"""Creating an engagement is idempotent end to end (issue 13, finding 4): a create interrupted or
timed out while Temporal is slow, then retried with the same Idempotency-Key, gives one
engagement row and one workflow, whatever the first attempt got as far as.

The faults are real: the API's Temporal client talks through a TCP proxy that stops forwarding
(tests/tcp_proxy.py), while the worker reaches Temporal directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from domain.enums import Role
from tests.creates import (
    created_entries,
    engagement_rows,
    engagement_runs,
    motion,
    post,
    workflow_exists,
)
from tests.tcp_proxy import ProxiedStack, stack_behind_proxy


@pytest.fixture
async def flaky(
    settings: Settings, temporal_env: WorkflowEnvironment
) -> AsyncIterator[ProxiedStack]:
    async with stack_behind_proxy(settings, temporal_env.client) as proxied:
        yield proxied


async def assert_one_engagement(
    proxied: ProxiedStack, engagement_id: str, *, settle: float = 0.5
) -> None:
    """One row, confirmed and listed; one workflow run; `engagement.created` audited once."""
    stack = proxied.stack
    await asyncio.sleep(settle)  # a second start, if any, has time to show in visibility
    assert await engagement_rows(stack.settings) == [engagement_id]
    workflow_id = await stack.workflow_id(engagement_id)
    assert await engagement_runs(proxied.direct, stack.settings) == [workflow_id]
    assert await created_entries(stack.settings, engagement_id) == 1
    listed = (await stack.call("GET", "/engagements", "maria", 200)).json()
    assert [item["id"] for item in listed["items"]] == [engagement_id]


async def test_a_create_whose_start_answer_is_lost_is_503_and_its_retry_is_the_same_engagement(
    flaky: ProxiedStack,
) -> None:
    """Temporal starts the workflow but its answer never arrives: the API cannot know, so it
    keeps the row and answers 503; the retry finds the running workflow and confirms it."""
    stack = flaky.stack
    flaky.proxy.deafen()
    first = await asyncio.wait_for(post(stack, "maria", "motion-7", motion(stack)), timeout=30)
    assert first.status_code == 503, first.text
    assert int(first.headers["Retry-After"]) > 0
    assert "Idempotency-Key" in first.json()["detail"]
    [reserved] = await engagement_rows(stack.settings)
    assert await workflow_exists(flaky, reserved)  # the start did happen: only its answer was lost
    flaky.proxy.heal()

    retry = await post(stack, "maria", "motion-7", motion(stack))
    assert retry.status_code == 201, retry.text
    engagement_id = retry.json()["id"]
    assert retry.json()["status"] == "running"
    await assert_one_engagement(flaky, engagement_id)
    again = await post(stack, "maria", "motion-7", motion(stack))
    assert (again.status_code, again.json()["id"]) == (201, engagement_id)
    await stack.wait_for_task(engagement_id, "draft", "carlos")  # the one workflow is working
    assert await created_entries(stack.settings, engagement_id) == 1


async def test_a_create_interrupted_before_temporal_answers_is_completed_by_its_retry(
    flaky: ProxiedStack,
) -> None:
    """The request dies (here: cancelled in process, as when the API is killed) while Temporal
    does not answer, after the row is written: the retry with the same key creates nothing new,
    it starts the one engagement the first attempt reserved."""
    stack = flaky.stack
    flaky.proxy.blackhole()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(post(stack, "maria", "motion-8", motion(stack)), timeout=1.0)
    assert len(await engagement_rows(stack.settings)) == 1  # the row was written first
    flaky.proxy.heal()

    retry = await post(stack, "maria", "motion-8", motion(stack))
    assert retry.status_code == 201, retry.text
    engagement_id = retry.json()["id"]
    await assert_one_engagement(flaky, engagement_id)
    await stack.wait_for_task(engagement_id, "draft", "carlos")


async def test_a_create_whose_start_reaches_no_server_is_503_and_its_retry_starts_it(
    flaky: ProxiedStack,
) -> None:
    stack = flaky.stack
    flaky.proxy.blackhole()
    first = await asyncio.wait_for(post(stack, "maria", "motion-9", motion(stack)), timeout=30)
    assert first.status_code == 503, first.text
    assert "Retry-After" in first.headers
    listed = (await stack.call("GET", "/engagements", "maria", 200)).json()
    assert listed["total"] == 0  # not shown as a running engagement: nothing runs it yet
    [reserved] = await engagement_rows(stack.settings)
    assert not await workflow_exists(flaky, reserved)
    shown = (await stack.call("GET", f"/engagements/{reserved}", "maria", 200)).json()
    assert shown["status"] == "starting"
    flaky.proxy.heal()
    retry = await post(stack, "maria", "motion-9", motion(stack))
    assert retry.status_code == 201, retry.text
    await assert_one_engagement(flaky, retry.json()["id"])


async def test_concurrent_creates_with_the_same_key_make_one_engagement(
    flaky: ProxiedStack,
) -> None:
    """Every duplicate answers 201 with the same engagement. The Idempotency-Key draft answers
    409 to a duplicate that arrives while the first is in flight, for servers where running both
    would act twice; here both converge on one row (insert on conflict) and one run (the start
    returns the existing workflow), so each caller simply gets the engagement."""
    stack = flaky.stack
    answers = await asyncio.gather(
        *(post(stack, "maria", "motion-10", motion(stack)) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1
    await assert_one_engagement(flaky, ids.pop())


async def test_the_same_key_from_another_user_is_another_engagement(
    flaky: ProxiedStack,
) -> None:
    """Keys are the client's, scoped to the user who sent them: two managers who both use
    "motion-11" meant two engagements."""
    stack = flaky.stack
    await stack.add_user("mark", Role.MANAGER)
    mine = await post(stack, "maria", "motion-11", motion(stack))
    theirs = await post(stack, "mark", "motion-11", motion(stack))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert len(await engagement_rows(stack.settings)) == 2
    assert len(await engagement_runs(flaky.direct, stack.settings)) == 2


async def test_the_same_key_with_another_body_is_refused_with_422(flaky: ProxiedStack) -> None:
    """draft-ietf-httpapi-idempotency-key-header §2.7: reusing a key with a different payload is
    a client error the server SHOULD answer with 422 (409 is for a request still in flight).
    Nothing is created or changed by the refused request."""
    stack = flaky.stack
    first = await post(stack, "maria", "motion-12", motion(stack))
    assert first.status_code == 201
    other = await post(stack, "maria", "motion-12", motion(stack, title="Another motion"))
    assert other.status_code == 422, other.text
    assert "Idempotency-Key" in other.json()["detail"]
    assert await engagement_rows(stack.settings) == [first.json()["id"]]
    detail = (await stack.call("GET", f"/engagements/{first.json()['id']}", "maria", 200)).json()
    assert detail["title"] == "Motion to compel discovery"


async def test_the_same_key_with_another_body_is_refused_after_a_failed_start_too(
    flaky: ProxiedStack,
) -> None:
    """The key is taken from the moment the row is reserved, before Temporal confirms it."""
    stack = flaky.stack
    flaky.proxy.blackhole()
    first = await asyncio.wait_for(post(stack, "maria", "motion-13", motion(stack)), timeout=30)
    assert first.status_code == 503
    flaky.proxy.heal()
    other = await post(stack, "maria", "motion-13", motion(stack, priority="urgent"))
    assert other.status_code == 422, other.text
