"""The all-firms SLA and trends views, which read the daily rollup kept by triggers on tasks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import update

from store.models import Task
from tests.dashboard.seeding import Seeder
from tests.harness import Stack

H = timedelta(hours=1)
DAY = timedelta(days=1)


async def _completions(stack: Stack, seeder: Seeder) -> None:
    """Completions in both firms on several past days (read from the rollup) and in the last
    minutes (today's partial day, read live): cycle times 2 h to 10 h."""
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    carlos = stack.user_ids["carlos"]
    for firm, template in ((firm_a, "draft-qc-efile"), (firm_b, "document-review")):
        engagement = await seeder.engagement(firm, template=template)
        for n, done_ago in enumerate((3 * DAY, 3 * DAY + H, 8 * DAY, timedelta(minutes=5))):
            cycle = (2 + 2 * n) * H
            await seeder.task(
                engagement,
                firm,
                step="qc" if n % 2 else "draft",
                queue="qc" if n % 2 else "drafting",
                status="completed",
                created_ago=done_ago + cycle,
                # the second and fourth are late
                due_in=-done_ago - (H if n % 2 else -H),
                completed_ago=done_ago,
                assignee=carlos if n < 3 else None,
            )


async def test_all_firms_sla_counts_equal_the_firms_summed(stack: Stack, seeder: Seeder) -> None:
    await _completions(stack, seeder)
    for group_by in ("template", "queue", "step", "clerk"):
        both = (await stack.call("GET", f"/dashboard/sla?group_by={group_by}", "maria", 200)).json()
        firms = [
            (
                await stack.call(
                    "GET", f"/dashboard/sla?group_by={group_by}&firm_id={firm}", "maria", 200
                )
            ).json()
            for firm in (stack.user_ids["firm_a"], stack.user_ids["firm_b"])
        ]
        assert both["total"]["completed"] == 8
        assert both["total"]["met"] == 4
        assert both["total"]["breached"] == 4
        assert both["total"]["attainment_pct"] == 50.0
        summed: dict[str, tuple[int, int]] = {}
        for firm in firms:
            for g in firm["groups"]:
                completed, met = summed.get(g["key"], (0, 0))
                summed[g["key"]] = (completed + g["completed"], met + g["met"])
        assert {g["key"]: (g["completed"], g["met"]) for g in both["groups"]} == summed
    by_clerk = (await stack.call("GET", "/dashboard/sla?group_by=clerk", "maria", 200)).json()
    assert {g["key"]: g["completed"] for g in by_clerk["groups"]} == {
        "carlos": 6,
        "(unassigned)": 2,
    }


async def test_all_firms_cycle_percentiles_are_close_to_the_exact_ones(
    stack: Stack, seeder: Seeder
) -> None:
    await _completions(stack, seeder)
    total = (await stack.call("GET", "/dashboard/sla", "maria", 200)).json()["total"]
    # cycle times 2, 4, 6, 8 h in each firm: exact p50 is 5 h, p90 is 8 h (percentile_cont);
    # the histogram's buckets are 25% wide.
    assert total["cycle_p50_seconds"] == pytest.approx(5 * 3600, rel=0.15)
    assert total["cycle_p90_seconds"] == pytest.approx(8 * 3600, rel=0.15)


async def test_all_firms_trends_count_each_utc_day_including_today(
    stack: Stack, seeder: Seeder
) -> None:
    await _completions(stack, seeder)
    days = (await stack.call("GET", "/dashboard/trends", "maria", 200)).json()["days"]
    counted = {d["day"]: (d["completed"], d["met"]) for d in days if d["completed"]}
    expected: dict[str, list[int]] = {}
    for n, ago in enumerate((3 * DAY, 3 * DAY + H, 8 * DAY, timedelta(minutes=5))):
        day = (seeder.now - ago).astimezone(UTC).date().isoformat()
        entry = expected.setdefault(day, [0, 0])
        entry[0] += 2  # one in each firm
        entry[1] += 0 if n % 2 else 2
    assert counted == {day: (c, m) for day, (c, m) in expected.items()}


async def test_a_completion_counts_once_and_undoing_it_takes_it_back(
    stack: Stack, seeder: Seeder
) -> None:
    firm = stack.user_ids["firm_a"]
    engagement = await seeder.engagement(firm)
    task_id = await seeder.task(engagement, firm, created_ago=30 * H, due_in=-H)
    yesterday_noon = datetime.combine(seeder.now.date() - DAY, time(12), tzinfo=UTC)
    # A window of whole UTC days: read from the rollup alone.
    window = f"from={(seeder.now - 7 * DAY).date()}T00:00:00Z&to={seeder.now.date()}T00:00:00Z"

    async def completed() -> int:
        sla = (await stack.call("GET", f"/dashboard/sla?{window}", "maria", 200)).json()
        return int(sla["total"]["completed"])

    async def set_task(**values: object) -> None:
        await seeder._run(update(Task).where(Task.id == uuid.UUID(task_id)).values(**values))

    assert await completed() == 0
    await set_task(status="completed", completed_at=yesterday_noon)
    assert await completed() == 1
    # A replayed write of the same completion, and an update of a column the rollup does not
    # count, change nothing.
    await set_task(status="completed", completed_at=yesterday_noon)
    await set_task(title="Renamed")
    assert await completed() == 1
    # Moving the completion out of the window moves it in the rollup.
    await set_task(completed_at=seeder.now - 10 * DAY)
    assert await completed() == 0
    await set_task(completed_at=yesterday_noon)
    assert await completed() == 1
    # Reopened (an operator's repair): no longer counted.
    await set_task(status="open", completed_at=None)
    assert await completed() == 0


async def test_all_firms_open_work_by_template_equals_the_firms_summed(
    stack: Stack, seeder: Seeder
) -> None:
    """Across every firm, open work is grouped by the template copied onto each task when it is
    written; for one firm, by its engagement's: the two must agree."""
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    for firm, template in ((firm_a, "draft-qc-efile"), (firm_b, "document-review")):
        engagement = await seeder.engagement(firm, template=template)
        await seeder.task(engagement, firm, created_ago=10 * H, due_in=-H)  # breached
        await seeder.task(engagement, firm, created_ago=10 * H, due_in=H)  # at risk
        await seeder.task(engagement, firm, created_ago=H, due_in=10 * H)  # on track
    shared = await seeder.engagement(firm_a, template="document-review")
    await seeder.task(shared, firm_a, created_ago=H, due_in=None)

    both = (await stack.call("GET", "/dashboard/sla", "maria", 200)).json()
    figures = {g["key"]: (g["open"], g["at_risk"], g["open_breached"]) for g in both["groups"]}
    assert figures == {"draft-qc-efile": (3, 1, 1), "document-review": (4, 1, 1)}
    assert (both["total"]["open"], both["total"]["at_risk"], both["total"]["open_breached"]) == (
        7,
        2,
        2,
    )
    summed: dict[str, int] = {}
    for firm in (firm_a, firm_b):
        one = (await stack.call("GET", f"/dashboard/sla?firm_id={firm}", "maria", 200)).json()
        for g in one["groups"]:
            summed[g["key"]] = summed.get(g["key"], 0) + g["open"]
    assert summed == {key: open_ for key, (open_, _, _) in figures.items()}
