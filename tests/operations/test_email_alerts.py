"""Alerts reach people by email: breaches, assignments, approvals waiting and a partner's daily
digest, to those who asked for them, through a real SMTP server process, with ids and links only,
retried through the outbox while the server is down."""

from __future__ import annotations

import asyncio
import email
import email.policy
import mailbox
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import Settings
from tests.harness import Stack
from workers.schedules import ensure_housekeeping_schedules

TITLE = "Okafor v. Brightline Logistics"
MATTER = "HM-2024-0999"
TIMED_WITH_APPROVAL = {
    "key": "timed-approval",
    "name": "A task that breaches, then a partner's sign-off",
    "steps": [
        {
            "id": "work",
            "kind": "human",
            "queue": "timed",
            "outcomes": {"done": "sign"},
            "sla": {"calendar": "24x7", "target": "PT1S"},
        },
        {"id": "sign", "kind": "approval", "outcomes": {"approved": "end"}},
    ],
}


@dataclass
class SmtpServer:
    port: int
    maildir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.maildir),
            ],
        )
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the SMTP server did not start")

    def messages(self) -> list[email.message.EmailMessage]:
        if not self.maildir.exists():
            return []
        return [
            email.message_from_bytes(bytes(m), policy=email.policy.default)
            for m in mailbox.Maildir(self.maildir)
        ]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(_free_port(), tmp_path / "maildir")
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "public_url": "https://docketflow.example",
            "digest_hour_utc": 0,  # the digest is due on any run of the day
            "notify_retry_base_seconds": 0,
        }
    )


async def _outbox(stack: Stack) -> list[Any]:
    engine = create_async_engine(stack.settings.database_url)
    try:
        async with engine.connect() as connection:
            query = text(
                "SELECT kind, emailed_at, email_attempts, email_last_error "
                "FROM notifications ORDER BY id"
            )
            return list((await connection.execute(query)).all())
    finally:
        await engine.dispose()


async def _until(check: Any, timeout: float = 30) -> None:
    for _ in range(int(timeout * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def dispatcher(stack: Stack) -> AsyncIterator[Any]:
    handles = await ensure_housekeeping_schedules(stack.temporal, stack.settings.task_queue)
    yield stack.temporal.get_schedule_handle(handles[1])
    for handle in handles:
        await stack.temporal.get_schedule_handle(handle).delete()


def _prefer(stack: Stack, user: str, address: str | None, alerts: list[str], digest: bool = False):  # type: ignore[no-untyped-def]
    return stack.call(
        "PUT",
        "/notifications/preferences",
        user,
        200,
        json={"email": address, "alerts": alerts, "daily_digest": digest},
    )


async def test_alerts_and_the_digest_are_mailed_to_those_who_asked(
    stack: Stack, smtp: SmtpServer, dispatcher: Any
) -> None:
    await _prefer(stack, "maria", "maria@bpo.example", ["sla.breached"])
    await _prefer(stack, "carlos", "carlos@bpo.example", ["task.assigned"])
    await _prefer(stack, "paula", "paula@halemorrow.example", ["approval.waiting"], digest=True)
    await _prefer(stack, "dana", None, ["sla.breached", "task.assigned"])  # no address: no mail
    assert (await stack.call("GET", "/notifications/preferences", "paula", 200)).json() == {
        "email": "paula@halemorrow.example",
        "alerts": ["approval.waiting"],
        "daily_digest": True,
    }
    await stack.call("PUT", "/notifications/preferences", "maria", 422, json={"email": "nope"})
    await stack.call(
        "PUT", "/notifications/preferences", "maria", 422, json={"alerts": ["everything"]}
    )

    await stack.call("POST", "/templates", "maria", 201, json={"definition": TIMED_WITH_APPROVAL})
    created = await stack.call(
        "POST",
        "/engagements",
        "maria",
        201,
        json={
            "firm_id": stack.user_ids["firm"],
            "template": "timed-approval",
            "title": TITLE,
            "matter_ref": MATTER,
            "inputs": {},
        },
    )
    engagement_id = created.json()["id"]
    work = await stack.wait_for_task(engagement_id, "work", "maria")

    async def breached() -> bool:
        return any(row.kind == "sla.breached" for row in await _outbox(stack))

    await _until(breached)
    await stack.call(
        "POST", f"/tasks/{work['id']}/assign", "maria", 200, json={"assignee": "carlos"}
    )
    await stack.call(
        "POST", f"/tasks/{work['id']}/complete", "carlos", 200, json={"outcome": "done"}
    )
    sign = await stack.wait_for_task(engagement_id, "sign", "paula")

    async def written() -> bool:
        kinds = {row.kind for row in await _outbox(stack)}
        return {"sla.breached", "task.assigned", "approval.waiting"} <= kinds

    await _until(written)

    # The SMTP server is down: every alert stays in the outbox with the error.
    await dispatcher.trigger()

    async def attempted() -> bool:
        return any(row.email_attempts >= 1 for row in await _outbox(stack))

    await _until(attempted)
    assert all(row.emailed_at is None for row in await _outbox(stack))
    assert any("Connect" in (row.email_last_error or "") for row in await _outbox(stack))

    smtp.start()
    await dispatcher.trigger()

    async def mailed() -> bool:
        rows = await _outbox(stack)
        return all(row.emailed_at is not None for row in rows) and len(smtp.messages()) >= 4

    await _until(mailed)
    await dispatcher.trigger()  # nothing is sent twice
    await asyncio.sleep(1.5)

    by_recipient: dict[str, list[email.message.EmailMessage]] = {}
    for message in smtp.messages():
        by_recipient.setdefault(message["To"], []).append(message)
    subjects = {to: sorted(m["Subject"].strip() for m in got) for to, got in by_recipient.items()}
    assert subjects.keys() == {
        "maria@bpo.example",
        "carlos@bpo.example",
        "paula@halemorrow.example",
    }, subjects
    assert subjects["maria@bpo.example"] == [f"[Docketflow] SLA breached: {work['id']}"]
    assert subjects["carlos@bpo.example"] == [
        f"[Docketflow] A task was assigned to you: {work['id']}"
    ]
    today = datetime.now(UTC).date()
    assert subjects["paula@halemorrow.example"] == [
        f"[Docketflow] An approval is waiting: {sign['id']}",
        f"[Docketflow] Daily digest {today}",
    ]

    breach = by_recipient["maria@bpo.example"][0].get_content()
    assert f"https://docketflow.example/console/tasks/{work['id']}" in breach
    assert f"https://docketflow.example/console/engagements/{engagement_id}" in breach
    approval = next(
        m for m in by_recipient["paula@halemorrow.example"] if "approval" in m["Subject"]
    )
    assert sign["id"] in approval.get_content()
    digest = next(m for m in by_recipient["paula@halemorrow.example"] if "digest" in m["Subject"])
    assert "Approvals waiting for a partner: 1" in digest.get_content()
    for message in smtp.messages():
        whole = message.as_string()
        assert TITLE not in whole and "Okafor" not in whole and MATTER not in whole

    audit = (await stack.call("GET", "/audit", "maria", 200)).json()
    changes = [e for e in audit if e["action"] == "user.email_preferences_changed"]
    assert changes and all("@" not in str(e["detail"]) for e in changes)
