"""Each role does its job in the console, in a real browser against a real server."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import screenshot, sign_in
from tests.dashboard.seeding import Seeder
from tests.harness import Stack

H = timedelta(hours=1)
M = timedelta(minutes=1)


async def test_a_clerk_signs_in_claims_and_completes_a_task(
    stack: Stack, server: str, browser: Browser, tmp_path: Path
) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm_a"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")

    page = await sign_in(browser, server, "carlos")
    await expect(page.get_by_role("heading", name="My work")).to_be_visible()
    await expect(page.get_by_text("You hold no tasks")).to_be_visible()
    await page.get_by_role("button", name="Claim next task").click()
    await expect(page.get_by_role("status")).to_contain_text("Task claimed")
    assert page.url.endswith(f"/console/tasks/{task['id']}?notice=claimed")
    await expect(page.locator("#sla-clock")).to_be_visible()

    # The form comes from the step's output schema; a wrong value gets a readable error.
    await page.get_by_label("Document title").fill("Motion to compel discovery")
    await page.get_by_label("Page count").fill("0")
    await page.get_by_label("File size mb").fill("2.5")
    await page.get_by_label("Signature").fill("/s/ Jane Roe")
    await screenshot(page, "clerk.png", tmp_path)
    await page.get_by_role("button", name="Complete task").click()
    await expect(page.get_by_role("alert")).to_contain_text("page_count")
    await expect(page.get_by_label("Document title")).to_have_value("Motion to compel discovery")

    await page.get_by_label("Page count").fill("14")
    await page.get_by_role("button", name="Complete task").click()
    await expect(page.get_by_role("status")).to_contain_text("Task completed")
    done = (await stack.call("GET", f"/tasks/{task['id']}", "carlos", 200)).json()
    assert (done["status"], done["completed_by"]) == ("completed", stack.user_ids["carlos"])
    assert done["output"]["page_count"] == 14


async def test_a_partner_sees_their_dashboard_chart_and_not_another_firms_data(
    stack: Stack, server: str, browser: Browser, seeder: Seeder, tmp_path: Path
) -> None:
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    ours = await seeder.engagement(firm_a, court_deadline=seeder.now + timedelta(days=4))
    for day in range(6):
        ago = timedelta(days=day, minutes=5)
        await seeder.task(
            ours,
            firm_a,
            status="completed",
            created_ago=ago + 6 * H,
            due_in=-ago + H,
            completed_ago=ago,
        )
    await seeder.task(
        ours, firm_a, status="completed", created_ago=10 * H, due_in=-2 * H, completed_ago=M
    )
    await seeder.task(ours, firm_a, created_ago=2 * timedelta(days=2), due_in=-H)
    theirs = await seeder.engagement(firm_b)
    await seeder.task(
        theirs,
        firm_b,
        status="completed",
        created_ago=3 * H,
        due_in=-2 * H,
        completed_ago=M,
        title="Birch Stone secret filing",
    )

    page = await sign_in(browser, server, "paula")
    await expect(page.get_by_role("heading", name=re.compile("Hale & Morrow LLP"))).to_be_visible()
    chart = page.get_by_role("img", name=re.compile("SLA attainment by day"))
    await expect(chart).to_be_visible()
    await expect(page.locator("#trend svg circle").first).to_be_attached()
    await expect(
        page.get_by_role("img", name=re.compile("Breaches by service line"))
    ).to_be_visible()
    await expect(page.locator("#kpis")).to_contain_text("85.7%")  # 6 met of 7 completed
    body = await page.content()
    assert "Birch Stone" not in body
    await screenshot(page, "partner.png", tmp_path)

    # Asking for the other firm by id is "not found", as if it did not exist.
    await page.goto(f"/console/firm?firm_id={firm_b}")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert "Birch Stone" not in await page.content()


async def test_a_manager_reassigns_a_breached_task(
    stack: Stack, server: str, browser: Browser, seeder: Seeder, tmp_path: Path
) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm_a"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
    await seeder.move_due(task["id"], -2 * H)  # the SLA engine is not here yet: breach by hand

    page = await sign_in(browser, server, "maria")
    await expect(page.get_by_role("heading", name="The floor")).to_be_visible()
    row = page.locator(f"tr[data-task='{task['id']}']")
    await expect(row).to_contain_text("breached")
    await expect(row).to_contain_text("carlos")
    await screenshot(page, "manager.png", tmp_path)
    await row.get_by_label(re.compile("Give .* to")).fill("dana")
    await row.get_by_role("button", name="Reassign").click()
    await expect(page.get_by_role("status")).to_contain_text("Task reassigned")
    await expect(page.locator(f"tr[data-task='{task['id']}']")).to_contain_text("dana")

    moved = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
    assert moved["assignee_id"] == stack.user_ids["dana"]
    trail = (await stack.call("GET", f"/audit?task_id={task['id']}", "maria", 200)).json()
    assert trail[-1]["action"] == "task.assigned"
    assert trail[-1]["actor_id"] == stack.user_ids["maria"]
