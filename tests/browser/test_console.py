"""Each role's main loop in the console, in a real browser against a real server, with an
axe-core accessibility check on every page the loop visits."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, FilePayload, Locator, Page, expect

from store.db import make_engine, make_session_factory
from store.repositories import tasks
from tests.browser.conftest import accessible, screenshot, sign_in
from tests.dashboard.seeding import Seeder
from tests.harness import SIGNATURE, Stack
from tests.sample_files import pdf

H = timedelta(hours=1)
M = timedelta(minutes=1)


MOTION = pdf(["MOTION TO COMPEL DISCOVERY", "ARGUMENT", "CONCLUSION"])
MOTION_FILE: FilePayload = {"name": "motion.pdf", "mimeType": "application/pdf", "buffer": MOTION}


async def _sweep(stack: Stack) -> list[str]:
    """Run the lease sweeper once (what the housekeeping workflow does on its schedule)."""
    engine = make_engine(stack.settings.database_url, pool_size=1)
    async with make_session_factory(engine).begin() as session:
        returned = await tasks.expire_leases(session)
    await engine.dispose()
    return [str(r.task_id) for r in returned]


def notice(page: Page) -> Locator:
    return page.locator("p.notice")


async def test_a_clerk_claims_sees_the_context_and_completes_then_reworks(
    stack: Stack, server: str, browser: Browser, tmp_path: Path
) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm_a"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")

    page = await sign_in(browser, server, "carlos")
    await expect(page.get_by_role("heading", name="My work")).to_be_visible()
    await accessible(page)
    # Manager pages are not in the clerk's navigation, and their URL is a clean 403 page.
    await expect(page.get_by_role("link", name="Floor")).to_have_count(0)
    await page.goto("/console/floor")
    await expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    await expect(page.get_by_role("link", name="My work")).to_be_visible()
    await expect(page.get_by_role("button", name="Reassign")).to_have_count(0)
    await page.get_by_role("link", name="My work").click()
    await expect(page.get_by_role("heading", name="My work")).to_be_visible()
    await page.wait_for_load_state()

    await page.keyboard.press("n")  # claim next, from the keyboard
    await expect(notice(page)).to_contain_text("Task claimed")
    assert f"/console/tasks/{task['id']}" in page.url
    context = page.get_by_role("complementary", name="Context")
    await expect(context).to_contain_text("Motion to compel discovery")
    await expect(context).to_contain_text("HM-2024-0113")
    await expect(context).to_contain_text("Hale & Morrow LLP")
    await expect(page.locator("#sla-clock")).to_contain_text(re.compile(r"E[SD]T"))  # firm's zone
    await accessible(page)

    # The draft is uploaded beside the form, previewed, and picked in the form.
    await page.set_input_files(
        "#upload-file",
        files=MOTION_FILE,
    )
    await page.get_by_label("Title", exact=True).fill("Motion to compel discovery")
    await page.get_by_role("button", name="Upload", exact=True).click()
    await expect(notice(page)).to_contain_text("Document uploaded")
    await expect(page.locator("#documents")).to_contain_text("Motion to compel discovery")
    await expect(page.locator("iframe.pdf-preview")).to_have_count(1)
    uploaded = (
        await stack.call("GET", f"/engagements/{engagement_id}/documents", "carlos", 200)
    ).json()
    await expect(page.locator("#f-document")).to_have_value(uploaded[0]["id"])
    preview = await page.request.get(f"/console/documents/{uploaded[0]['id']}/content")
    assert preview.ok and await preview.body() == MOTION
    assert preview.headers["content-disposition"].startswith("inline")

    # The schema's limits are enforced before submit, in plain words beside the field.
    await page.get_by_label("Signature").fill("/s")
    await page.get_by_role("button", name="Complete task").click()
    await expect(page.locator("#f-signature-error")).to_have_text("Enter at least 3 characters.")
    assert f"/console/tasks/{task['id']}" in page.url  # nothing was sent
    await screenshot(page, "clerk.png", tmp_path)
    await page.get_by_label("Signature").fill(SIGNATURE)
    await page.get_by_label("Signature").press("Control+Enter")  # complete, from the keyboard
    await expect(notice(page)).to_contain_text("Task completed")
    done = (await stack.call("GET", f"/tasks/{task['id']}", "carlos", 200)).json()
    assert (done["status"], done["output"]["document"]) == ("completed", uploaded[0]["id"])

    # QC sends it back with a note: the rework shows the note and the previous answers.
    qc = await stack.wait_for_task(engagement_id, "qc", "dana")
    await stack.claim_and_complete(
        qc["id"], "dana", "rejected", output={"reasons": ["caption lacks the case number"]},
        note="Add the case number to the caption.",
    )  # fmt: skip
    rework = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=2)
    await page.goto("/console/work")
    row = page.get_by_role("row", name=re.compile("Draft the document"))
    await expect(row).to_contain_text("rework")
    await expect(row).to_contain_text("Motion to compel discovery")
    await row.get_by_role("link").first.click()
    assert f"/console/tasks/{rework['id']}" in page.url
    came_back = page.locator("#send-back")
    await expect(came_back).to_contain_text("Add the case number to the caption.")
    await expect(came_back).to_contain_text("caption lacks the case number")
    await expect(page.get_by_label("Signature")).to_have_value(SIGNATURE)
    await expect(page.locator("#f-document")).to_have_value(uploaded[0]["id"])
    await expect(page.locator("#visits")).to_contain_text("Visit 1")
    await accessible(page)
    await screenshot(page, "clerk-rework.png", tmp_path)
    # Sending it back keeps it away from carlos's next "Claim next".
    await page.keyboard.press("b")
    await page.keyboard.type("I am out this afternoon")
    await page.get_by_role("button", name="Send back").click()
    await expect(notice(page)).to_contain_text("sent back")
    await page.get_by_role("button", name="Claim next task").click()
    await expect(notice(page)).to_contain_text("Nothing is eligible")


async def test_a_lease_stays_alive_while_the_page_is_open(
    stack: Stack, server: str, browser: Browser
) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm_a"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.call("PATCH", "/queues/drafting", "maria", 200, json={"lease_minutes": 1})
    page = await sign_in(browser, server, "carlos")
    await page.get_by_role("button", name="Claim next task").click()
    await expect(page.locator("#lease")).to_contain_text("renewed")
    await asyncio.sleep(80)  # longer than the one-minute lease
    assert task["id"] not in await _sweep(stack)
    held = (await stack.call("GET", f"/tasks/{task['id']}", "carlos", 200)).json()
    assert (held["status"], held["assignee_id"]) == ("claimed", stack.user_ids["carlos"])


async def test_a_lapsed_claim_loses_no_typed_text(
    stack: Stack, server: str, browser: Browser, seeder: Seeder
) -> None:
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm_a"])
    task = await stack.wait_for_task(engagement_id, "draft", "carlos")
    page = await sign_in(browser, server, "carlos")
    await page.get_by_role("button", name="Claim next task").click()
    await page.set_input_files("#upload-file", files=MOTION_FILE)
    await page.get_by_role("button", name="Upload", exact=True).click()
    await expect(notice(page)).to_contain_text("Document uploaded")
    await page.get_by_label("Signature").fill("/s/ Jane Roe, with exhibits")
    await page.get_by_label("Note").fill("exhibit B still to scan")
    await expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    # The claim lapses behind the page's back (the laptop slept through it).
    await seeder.edit_task(task["id"], lease_expires_at=seeder.now - M)
    assert task["id"] in await _sweep(stack)
    await page.get_by_role("button", name="Complete task").click()
    await expect(page.get_by_role("alert").first).to_contain_text("Everything you typed is kept")
    await expect(page.get_by_label("Signature")).to_have_value("/s/ Jane Roe, with exhibits")
    await page.reload()
    await expect(page.locator("#lapsed")).to_be_visible()
    await expect(page.get_by_label("Note")).to_have_value("exhibit B still to scan")
    await accessible(page)
    await page.get_by_role("button", name="Claim again").click()
    await expect(page.get_by_label("Signature")).to_have_value("/s/ Jane Roe, with exhibits")
    await page.get_by_role("button", name="Complete task").click()
    await expect(notice(page)).to_contain_text("Task completed")
    done = (await stack.call("GET", f"/tasks/{task['id']}", "carlos", 200)).json()
    assert done["output"]["signature"] == "/s/ Jane Roe, with exhibits"
    assert done["note"] == "exhibit B still to scan"


async def test_a_manager_filters_reassigns_bulk_prioritises_and_holds(
    stack: Stack, server: str, browser: Browser, seeder: Seeder, tmp_path: Path
) -> None:
    firm_a = stack.user_ids["firm_a"]
    first = await stack.create_engagement("maria", firm_a)
    second = await stack.create_engagement("maria", firm_a)
    one = await stack.wait_for_task(first, "draft", "carlos")
    two = await stack.wait_for_task(second, "draft", "carlos")
    await stack.call("POST", f"/tasks/{one['id']}/claim", "carlos", 200)
    await seeder.move_due(one["id"], -2 * H)

    page = await sign_in(browser, server, "maria")
    await expect(page.get_by_role("heading", name="The floor")).to_be_visible()
    await expect(page.locator(f"tr[data-task='{one['id']}']")).to_contain_text("breached")
    await accessible(page)
    await screenshot(page, "manager.png", tmp_path)

    await page.get_by_role("link", name="Queue", exact=True).click()
    await page.get_by_label("State").select_option("breached")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    await expect(page.locator(f"tr[data-task='{one['id']}']")).to_contain_text("carlos")
    await accessible(page)
    await screenshot(page, "manager-queue.png", tmp_path)

    # Reassign from the eligible people only (a partner never appears).
    row = page.locator(f"tr[data-task='{one['id']}']")
    await row.get_by_role("link", name=re.compile("Reassign")).click()
    await expect(page.get_by_label(re.compile("^paula"))).to_have_count(0)
    await expect(page.get_by_label(re.compile("^carlos"))).to_be_disabled()
    await accessible(page)
    await page.get_by_label(re.compile("^dana")).check()
    await page.get_by_role("button", name="Reassign").click()
    await expect(notice(page)).to_contain_text("Task reassigned")
    moved = (await stack.call("GET", f"/tasks/{one['id']}", "maria", 200)).json()
    assert moved["assignee_id"] == stack.user_ids["dana"]

    # Bulk priority: a dry run first, then applied.
    await page.goto("/console/queue")
    for task in (one, two):
        await page.locator(f"#pick-{task['id']}").check()
    await page.get_by_label("New priority").select_option("urgent")
    await page.get_by_role("button", name="Check first (dry run)").click()
    await expect(page.locator("#dry-run tbody tr")).to_have_count(2)
    await accessible(page)
    assert (await stack.call("GET", f"/tasks/{two['id']}", "maria", 200)).json()[
        "priority"
    ] == "normal"
    await page.get_by_role("button", name="Apply to 2 task(s)").click()
    await expect(notice(page)).to_contain_text("Priority changed")
    for task in (one, two):
        now = (await stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
        assert now["priority"] == "urgent"

    # Hold, then resume, from the engagement page.
    await page.goto(f"/console/engagements/{second}")
    await page.get_by_label("Reason to hold").fill("client asked to pause")
    await page.get_by_role("button", name="Put on hold").click()
    await expect(notice(page)).to_contain_text("on hold")
    await stack.wait_for_status(second, "on_hold", "maria")
    await accessible(page)
    await page.get_by_role("button", name="Resume").click()
    await expect(notice(page)).to_contain_text("resumed")
    await stack.wait_for_status(second, "running", "maria")


async def test_a_partner_sees_open_breaches_and_approves_from_the_dashboard(
    stack: Stack, server: str, browser: Browser, seeder: Seeder, tmp_path: Path
) -> None:
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    # The complaint: three overdue tasks, and the tiles said "0 breached".
    ours = await seeder.engagement(firm_a)
    for _ in range(3):
        await seeder.task(ours, firm_a, created_ago=10 * H, due_in=-H)
    theirs = await seeder.engagement(firm_b)
    await seeder.task(theirs, firm_b, created_ago=3 * H, due_in=-H, title="Birch Stone secret")
    # A real approval waiting, after a real draft and QC.
    engagement_id = await stack.create_engagement("maria", firm_a)
    draft = await stack.wait_for_task(engagement_id, "draft", "carlos")
    await stack.claim_and_complete(draft["id"], "carlos", draft=True)
    qc = await stack.wait_for_task(engagement_id, "qc", "dana")
    await stack.claim_and_complete(qc["id"], "dana", "approved", note="Caption and format fine.")
    approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula")

    page = await sign_in(browser, server, "paula")
    await expect(page.locator("#kpi-open-breached")).to_contain_text("3")
    assert (await stack.call("GET", "/dashboard/sla", "paula", 200)).json()["total"][
        "open_breached"
    ] == 3
    await expect(page.locator("#breaches")).to_contain_text("Drafting, QC and court e-filing")
    card = page.locator(f"article[data-task='{approval['id']}']")
    await expect(card).to_contain_text("Motion to compel discovery")
    await expect(card).to_contain_text("HM-2024-0113")
    await expect(card).to_contain_text("Caption and format fine.")
    await expect(card).to_contain_text(SIGNATURE)
    assert "Birch Stone" not in await page.content()
    await accessible(page)
    await screenshot(page, "partner.png", tmp_path)

    await card.get_by_role("button", name="Approve").click()  # one action
    await expect(notice(page)).to_contain_text("Approved")
    assert "/console/firm" in page.url
    done = (await stack.call("GET", f"/tasks/{approval['id']}", "paula", 200)).json()
    assert (done["status"], done["outcome"]) == ("completed", "approved")

    # Another firm's dashboard by id is "not found", as if it did not exist.
    await page.goto(f"/console/firm?firm_id={firm_b}")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert "Birch Stone" not in await page.content()


async def test_a_manager_starts_an_engagement_from_its_template_and_every_page_is_accessible(
    stack: Stack, server: str, browser: Browser
) -> None:
    page = await sign_in(browser, server, "maria")
    await page.get_by_role("navigation").get_by_role("link", name="New engagement").click()
    await page.get_by_label("Service line").select_option("draft-qc-efile")
    await page.get_by_role("button", name="Choose").click()
    await accessible(page)
    await page.get_by_label("Title").fill("Motion in limine")
    await page.get_by_label("Matter reference").fill("HM-2024-0301")
    await page.get_by_label("Court").fill("NDCA")
    await page.get_by_label("Case number").fill("3:24-cv-07788")
    await page.get_by_label("Document type").select_option("motion")
    await page.get_by_label("Filing deadline").fill("2027-01-19")
    await page.get_by_role("button", name="Start engagement").click()
    await expect(notice(page)).to_contain_text("Engagement started")
    await expect(page.get_by_role("heading", name="Motion in limine")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Drafting, QC and court e-filing")
    await accessible(page)
    created = (await stack.call("GET", "/engagements", "maria", 200)).json()["items"]
    assert [e["matter_ref"] for e in created] == ["HM-2024-0301"]
    assert created[0]["title"] == "Motion in limine"
    for path in ("/console/engagements", "/console/alerts", "/console/queue"):
        await page.goto(path)
        await accessible(page)
    # A clerk's 403 page keeps the clerk's own navigation, and passes too.
    clerk = await sign_in(browser, server, "carlos")
    await clerk.goto("/console/queue")
    await expect(clerk.get_by_role("heading", name="Not allowed")).to_be_visible()
    await accessible(clerk)
