"""A real browser against a real server: uvicorn on a free port in a thread, Debian's chromium
driven by Playwright (never `playwright install`: it would download a browser)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, Page, async_playwright

from api.app import create_app
from cli.devstack.ports import free_port
from core.settings import Settings
from domain.enums import Role
from tests.dashboard.seeding import Seeder
from tests.harness import PASSWORD, Stack, running_stack

CHROMIUM = Path(os.environ.get("DOCKETFLOW_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """The whole app served over HTTP, as a browser needs it."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/install (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        await launched.close()


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    """API helpers and a worker (completions go through Temporal), with users and two firms."""
    async with running_stack(settings) as running:
        await running.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        await running.add_user("dana", Role.CLERK, ["drafting", "qc"])
        firm_a = await running.create_firm("maria", "Hale & Morrow LLP")
        firm_b = await running.create_firm("maria", "Birch Stone LLP")
        await running.add_user("paula", Role.PARTNER, firm=firm_a)
        await running.add_user("oscar", Role.PARTNER, firm=firm_b)
        running.user_ids["firm_a"], running.user_ids["firm_b"] = firm_a, firm_b
        yield running


@pytest.fixture
def seeder(settings: Settings) -> Seeder:
    return Seeder(settings)


async def sign_in(browser: Browser, base_url: str, username: str) -> Page:
    page = await browser.new_page(base_url=base_url, viewport={"width": 1280, "height": 900})
    await page.goto("/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()
    return page


async def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    """Into docs/screenshots/ when DOCKETFLOW_SCREENSHOTS=1 (for the README), else a temp dir."""
    folder = SCREENSHOTS if os.environ.get("DOCKETFLOW_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / name), full_page=True)


AXE = Axe()


async def accessible(page: Page) -> None:
    """axe-core (WCAG 2 A/AA rules) finds nothing on the page as it is now."""
    results = await AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
