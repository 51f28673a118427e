"""The demo shows a newcomer every state: work waiting, a breach, an at-risk clock, an approval."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from cli.demo import DEMO_PASSWORD, seed_demo
from core.settings import Settings
from tests.harness import running_stack


async def test_the_demo_has_a_breach_an_at_risk_task_and_a_waiting_approval(
    settings: Settings,
) -> None:
    async with running_stack(settings) as stack:
        await seed_demo(settings)
        token = (
            await stack.http.post(
                "/api/v1/auth/token", data={"username": "paula", "password": DEMO_PASSWORD}
            )
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        approvals = []
        for _ in range(100):
            page = (await stack.http.get("/api/v1/tasks?status=open", headers=auth)).json()
            approvals = [t for t in page["items"] if t["kind"] == "approval"]
            if approvals:
                break
            await asyncio.sleep(0.2)
        assert len(approvals) == 1
        everything = (await stack.http.get("/api/v1/tasks?limit=100", headers=auth)).json()
        states = {t["sla_state"] for t in everything["items"] if t["status"] == "open"}
        assert "breached" in states
        soon = [
            t
            for t in everything["items"]
            if t["due_at"]
            and timedelta(0)
            < datetime.fromisoformat(t["due_at"]) - datetime.now(UTC)
            < timedelta(hours=1, minutes=1)
        ]
        assert soon, "one task has an hour left: at risk from half-way"
        sla = (await stack.http.get("/api/v1/dashboard/sla", headers=auth)).json()
        assert sla["total"]["open_breached"] >= 1
