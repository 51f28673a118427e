"""The queue board read in one scan (queue figures and aging together), across firms, and the
one-firm SLA view grouped by the task's own copy of its template (0012_dashboard_queues)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.dashboard.seeding import Seeder
from tests.harness import Stack

H = timedelta(hours=1)
D = timedelta(days=1)


async def _board(stack: Stack, path: str, user: str = "maria") -> Any:
    return (await stack.call("GET", path, user, 200)).json()


async def test_all_firms_queue_board_adds_up_every_firms_open_work_by_queue_and_age(
    stack: Stack, seeder: Seeder
) -> None:
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    carlos = stack.user_ids["carlos"]
    a, b = await seeder.engagement(firm_a), await seeder.engagement(firm_b)
    # Firm A: open in drafting 2 h old (on track) and 2 days old (breached); claimed in qc,
    # 5 days old and due in 12 h: in the last quarter of its span, so at risk.
    await seeder.task(a, firm_a, created_ago=2 * H, due_in=2 * D)
    await seeder.task(a, firm_a, created_ago=2 * D, due_in=-H)
    await seeder.task(
        a,
        firm_a,
        step="qc",
        queue="qc",
        status="claimed",
        assignee=carlos,
        created_ago=5 * D,
        due_in=12 * H,
    )
    # Firm B: open in drafting 10 days old (breached), without a due time 4 days old.
    await seeder.task(b, firm_b, created_ago=10 * D, due_in=-D)
    await seeder.task(b, firm_b, created_ago=4 * D, due_in=None)
    # Completed work is not on the board.
    await seeder.task(
        b, firm_b, status="completed", created_ago=3 * H, due_in=H, completed_ago=H, assignee=carlos
    )

    every = await _board(stack, "/dashboard/queues")
    queues = {q["queue"]: q for q in every["queues"]}
    assert list(queues) == ["drafting", "qc"]  # in queue order
    drafting, qc = queues["drafting"], queues["qc"]
    assert (drafting["depth"], drafting["claimed"]) == (4, 0)
    assert (drafting["breached"], drafting["at_risk"]) == (2, 0)
    assert abs(drafting["oldest_age_seconds"] - 10 * 86400) < 120
    assert (qc["depth"], qc["claimed"], qc["at_risk"], qc["breached"]) == (0, 1, 1, 0)
    assert qc["oldest_age_seconds"] is None
    aging = {x["bucket"]: x["open"] for x in every["aging"]}
    assert aging == {"< 1 day": 1, "1-3 days": 1, "3-7 days": 2, "> 7 days": 1}
    assert list(aging) == ["< 1 day", "1-3 days", "3-7 days", "> 7 days"]
    clerks = {c["username"]: c for c in every["clerks"]}
    assert clerks["carlos"]["wip"] == 1

    # Each firm's board is its share of the whole.
    per_firm = [await _board(stack, f"/dashboard/queues?firm_id={f}") for f in (firm_a, firm_b)]
    for bucket in aging:
        assert aging[bucket] == sum(
            x["open"] for board in per_firm for x in board["aging"] if x["bucket"] == bucket
        )
    depth = sum(q["depth"] for board in per_firm for q in board["queues"])
    assert depth == 4
    # A partner's board is their firm's only.
    partner = await _board(stack, "/dashboard/queues", "oscar")
    assert {x["bucket"]: x["open"] for x in partner["aging"]} == {
        "< 1 day": 0,
        "1-3 days": 0,
        "3-7 days": 1,
        "> 7 days": 1,
    }


async def test_one_firm_sla_by_template_splits_the_firms_templates(
    stack: Stack, seeder: Seeder
) -> None:
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    motions = await seeder.engagement(firm_a, template="draft-qc-efile")
    records = await seeder.engagement(firm_a, template="medical-records-demand")
    other = await seeder.engagement(firm_b, template="contract-review")
    for engagement, firm, due_in in (
        (motions, firm_a, H),
        (records, firm_a, -3 * H),
        (other, firm_b, H),
    ):
        await seeder.task(
            engagement,
            firm,
            status="completed",
            created_ago=5 * H,
            due_in=due_in,
            completed_ago=2 * H,
        )
    await seeder.task(records, firm_a, created_ago=H, due_in=-timedelta(minutes=5))

    body = await _board(stack, "/dashboard/sla", "paula")  # the partner's default: by template
    groups = {g["key"]: g for g in body["groups"]}
    assert set(groups) == {"draft-qc-efile", "medical-records-demand"}
    assert (groups["draft-qc-efile"]["completed"], groups["draft-qc-efile"]["met"]) == (1, 1)
    records_row = groups["medical-records-demand"]
    assert (records_row["completed"], records_row["breached"], records_row["open_breached"]) == (
        1,
        1,
        1,
    )
    total = body["total"]
    assert (total["completed"], total["attainment_pct"], total["open"]) == (2, 50.0, 1)
