"""The dashboard figures on a small known data set, through the real API and PostgreSQL."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.dashboard.seeding import Seeder
from tests.harness import Stack

H = timedelta(hours=1)
M = timedelta(minutes=1)


@dataclass
class Floor:
    engagement: str
    met: str
    breached: str
    open_breached: str
    at_risk: str
    on_track: str
    other_firm_task: str


async def _floor(stack: Stack, seeder: Seeder) -> Floor:
    """Firm A: one met and one breached completion, three open tasks (breached, at risk, on
    track). Firm B: one breached completion and one breached open task nobody at A may see."""
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    carlos = stack.user_ids["carlos"]
    engagement = await seeder.engagement(firm_a, court_deadline=seeder.now + timedelta(days=5))
    floor = Floor(
        engagement=engagement,
        # completed 1 minute ago after 6 h, due in an hour: met
        met=await seeder.task(
            engagement,
            firm_a,
            status="completed",
            created_ago=6 * H + M,
            due_in=H,
            completed_ago=M,
            assignee=carlos,
        ),
        # completed 2 minutes ago after 9 h, due 3 h ago: breached
        breached=await seeder.task(
            engagement,
            firm_a,
            step="qc",
            queue="qc",
            status="completed",
            created_ago=9 * H + 2 * M,
            due_in=-3 * H,
            completed_ago=2 * M,
            assignee=carlos,
        ),
        open_breached=await seeder.task(
            engagement, firm_a, created_ago=5 * H, due_in=-H, title="Overdue draft"
        ),
        # 9 h into a 10 h SLA: inside the last quarter
        at_risk=await seeder.task(
            engagement,
            firm_a,
            step="qc",
            queue="qc",
            status="claimed",
            created_ago=9 * H,
            due_in=H,
            assignee=carlos,
            title="Nearly due QC",
        ),
        on_track=await seeder.task(
            engagement, firm_a, created_ago=timedelta(days=2), due_in=timedelta(days=3)
        ),
        other_firm_task=await seeder.task(
            await seeder.engagement(firm_b),
            firm_b,
            created_ago=2 * H,
            due_in=-H,
            title="Birch Stone overdue",
        ),
    )
    b_engagement = await seeder.engagement(firm_b)
    await seeder.task(
        b_engagement,
        firm_b,
        status="completed",
        created_ago=3 * H,
        due_in=-2 * H,
        completed_ago=M,
        assignee=carlos,
    )
    return floor


async def test_attainment_is_met_over_completed_with_open_work_and_cycle_times(
    stack: Stack, seeder: Seeder
) -> None:
    await _floor(stack, seeder)
    body = (
        await stack.call("GET", f"/dashboard/sla?firm_id={stack.user_ids['firm_a']}", "maria", 200)
    ).json()
    total = body["total"]
    assert (total["completed"], total["met"], total["breached"]) == (2, 1, 1)
    assert total["attainment_pct"] == 50.0
    assert (total["open"], total["at_risk"], total["open_breached"]) == (3, 1, 1)
    # cycle times 6 h and 9 h: the continuous median is 7.5 h, p90 is 6 h + 0.9 x 3 h
    assert total["cycle_p50_seconds"] == pytest.approx(7.5 * 3600, abs=1)
    assert total["cycle_p90_seconds"] == pytest.approx(8.7 * 3600, abs=1)
    assert body["from"] < body["to"]
    assert "without a due time counts as met" in body["met_rule"]


async def test_sla_groups_by_queue_step_clerk_and_template(stack: Stack, seeder: Seeder) -> None:
    await _floor(stack, seeder)
    firm = stack.user_ids["firm_a"]

    async def groups(group_by: str) -> dict[str, dict[str, object]]:
        url = f"/dashboard/sla?firm_id={firm}&group_by={group_by}"
        body = (await stack.call("GET", url, "maria", 200)).json()
        return {g["key"]: g for g in body["groups"]}

    by_queue = await groups("queue")
    assert by_queue["drafting"]["attainment_pct"] == 100.0
    assert (by_queue["drafting"]["open"], by_queue["drafting"]["open_breached"]) == (2, 1)
    assert by_queue["qc"]["attainment_pct"] == 0.0
    assert by_queue["qc"]["at_risk"] == 1
    assert set(await groups("step")) == {"draft", "qc"}
    by_clerk = await groups("clerk")
    assert by_clerk["carlos"]["completed"] == 2 and by_clerk["carlos"]["open"] == 1
    assert by_clerk["(unassigned)"]["open"] == 2
    by_template = await groups("template")
    assert by_template["draft-qc-efile"]["attainment_pct"] == 50.0


async def test_a_completed_task_without_a_due_time_counts_as_met(
    stack: Stack, seeder: Seeder
) -> None:
    firm = stack.user_ids["firm_a"]
    engagement = await seeder.engagement(firm)
    await seeder.task(
        engagement, firm, status="completed", created_ago=2 * H, due_in=None, completed_ago=M
    )
    await seeder.task(
        engagement, firm, status="completed", created_ago=2 * H, due_in=-H, completed_ago=M
    )
    total = (await stack.call("GET", f"/dashboard/sla?firm_id={firm}", "maria", 200)).json()
    assert (total["total"]["met"], total["total"]["attainment_pct"]) == (1, 50.0)


async def test_queues_show_depth_claims_age_risk_clerk_load_and_aging(
    stack: Stack, seeder: Seeder
) -> None:
    await _floor(stack, seeder)
    firm = stack.user_ids["firm_a"]
    body = (await stack.call("GET", f"/dashboard/queues?firm_id={firm}", "maria", 200)).json()
    queues = {q["queue"]: q for q in body["queues"]}
    assert (queues["drafting"]["depth"], queues["drafting"]["claimed"]) == (2, 0)
    assert queues["drafting"]["breached"] == 1
    assert queues["drafting"]["oldest_age_seconds"] == pytest.approx(2 * 86400, abs=120)
    assert (queues["qc"]["depth"], queues["qc"]["claimed"], queues["qc"]["at_risk"]) == (0, 1, 1)
    assert queues["qc"]["oldest_age_seconds"] is None  # nothing waits unclaimed
    tz = ZoneInfo("America/New_York")
    today = seeder.now.astimezone(tz).date()
    done_today = sum((seeder.now - ago).astimezone(tz).date() == today for ago in (M, 2 * M))
    clerks = {c["username"]: c for c in body["clerks"]}
    assert clerks["carlos"] == {
        "user_id": stack.user_ids["carlos"],
        "username": "carlos",
        "wip": 1,
        "completed_today": done_today,
    }
    aging = {a["bucket"]: a["open"] for a in body["aging"]}
    assert aging == {"< 1 day": 2, "1-3 days": 1, "3-7 days": 0, "> 7 days": 0}


async def test_trends_list_every_day_with_throughput_and_attainment(
    stack: Stack, seeder: Seeder
) -> None:
    await _floor(stack, seeder)
    firm = stack.user_ids["firm_a"]
    tz = ZoneInfo("America/New_York")
    last = seeder.now.astimezone(tz).date()
    first = last - timedelta(days=6)
    url = f"/dashboard/trends?firm_id={firm}&from={first}&to={last}"
    body = (await stack.call("GET", url, "maria", 200)).json()
    assert body["timezone"] == "America/New_York"
    assert [d["day"] for d in body["days"]] == [str(first + timedelta(days=n)) for n in range(7)]
    assert sum(d["completed"] for d in body["days"]) == 2
    assert sum(d["met"] for d in body["days"]) == 1
    idle = [d for d in body["days"] if d["completed"] == 0]
    assert idle and all(d["attainment_pct"] is None for d in idle)


async def test_attention_lists_breached_then_at_risk_open_work(
    stack: Stack, seeder: Seeder
) -> None:
    floor = await _floor(stack, seeder)
    body = (
        await stack.call(
            "GET", f"/dashboard/attention?firm_id={stack.user_ids['firm_a']}", "maria", 200
        )
    ).json()
    assert [(i["task_id"], i["state"]) for i in body] == [
        (floor.open_breached, "breached"),
        (floor.at_risk, "at_risk"),
    ]
    assert body[1]["assignee"] == "carlos"


async def test_each_dashboard_exports_csv(stack: Stack, seeder: Seeder) -> None:
    await _floor(stack, seeder)
    firm = stack.user_ids["firm_a"]

    async def rows(path: str) -> list[dict[str, str]]:
        response = await stack.call("GET", f"{path}&format=csv", "maria", 200)
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        return list(csv.DictReader(io.StringIO(response.text)))

    sla = {r["key"]: r for r in await rows(f"/dashboard/sla?firm_id={firm}&group_by=queue")}
    assert sla["drafting"]["attainment_pct"] == "100.0"
    assert sla["qc"]["breached"] == "1"
    queues = {r["queue"]: r for r in await rows(f"/dashboard/queues?firm_id={firm}")}
    assert queues["drafting"]["depth"] == "2"
    trends = await rows(f"/dashboard/trends?firm_id={firm}")
    assert sum(int(r["completed"]) for r in trends) == 2
    attention = await rows(f"/dashboard/attention?firm_id={firm}")
    assert [r["state"] for r in attention] == ["breached", "at_risk"]


async def test_a_partner_sees_only_their_firm_on_every_dashboard(
    stack: Stack, seeder: Seeder
) -> None:
    floor = await _floor(stack, seeder)
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]

    own = (await stack.call("GET", "/dashboard/sla", "paula", 200)).json()
    assert own["firm_id"] == firm_a and own["total"]["completed"] == 2
    queues = (await stack.call("GET", "/dashboard/queues", "paula", 200)).json()
    assert sum(q["depth"] for q in queues["queues"]) == 2
    attention = (await stack.call("GET", "/dashboard/attention", "paula", 200)).json()
    assert floor.other_firm_task not in {i["task_id"] for i in attention}
    trends = (await stack.call("GET", "/dashboard/trends", "paula", 200)).json()
    assert sum(d["completed"] for d in trends["days"]) == 2

    for path in ("sla", "queues", "trends", "attention"):
        await stack.call("GET", f"/dashboard/{path}?firm_id={firm_b}", "paula", 404)
        await stack.call("GET", f"/dashboard/{path}?firm_id={firm_b}&format=csv", "paula", 404)
    other = (await stack.call("GET", "/dashboard/sla", "oscar", 200)).json()
    assert other["total"]["completed"] == 1

    # BPO staff without a firm filter see the whole floor.
    everything = (await stack.call("GET", "/dashboard/sla", "maria", 200)).json()
    assert everything["firm_id"] is None and everything["total"]["completed"] == 3


async def test_dashboards_need_a_token_and_reject_bad_input_clearly(stack: Stack) -> None:
    response = await stack.http.get("/api/v1/dashboard/sla")
    assert response.status_code == 401
    firm = stack.user_ids["firm_a"]
    for query, field in (
        ("from=2024-05-10&to=2024-05-01", "from"),
        ("from=yesterday", "from"),
        ("group_by=partner", "group_by"),
        ("format=xml", "format"),
        ("from=2020-01-01&to=2024-01-01", "period"),
    ):
        response = await stack.call("GET", f"/dashboard/sla?firm_id={firm}&{query}", "maria", 422)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.json()["detail"]
    await stack.call(
        "GET", "/dashboard/sla?firm_id=00000000-0000-0000-0000-000000000000", "maria", 404
    )
