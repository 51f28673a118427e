"""SLA alerts reach people: in-app by role and firm, and pushed to a signed webhook, at least once,
with retries when the receiver is down, and without client data. Deliveries verify with the
Standard Webhooks reference library, as a receiver's would."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.settings import Settings
from domain.enums import Role
from tests.harness import Stack
from workers.schedules import ensure_housekeeping_schedules

SECRET = "whsec_" + base64.b64encode(b"webhook-secret-" + b"x" * 32).decode()
TITLE = "Okafor v. Brightline Logistics"


@dataclass
class Receiver:
    """A webhook endpoint on a real port that answers `status` and keeps what it was sent."""

    url: str = ""
    status: int = 503
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    box = Receiver()

    async def hook(request: Request) -> Response:
        if box.status == 200:
            box.received.append((dict(request.headers), await request.body()))
        return Response(status_code=box.status)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    box.url = f"http://127.0.0.1:{port}/hook"
    yield box
    server.should_exit = True
    await serving


@pytest.fixture
def settings(settings: Settings, receiver: Receiver) -> Settings:
    return settings.model_copy(
        update={
            "notify_webhook_url": receiver.url,
            "notify_webhook_secret": SECRET,
            "notify_retry_base_seconds": 0,  # a failed push is due again at once
        }
    )


def _timed() -> dict[str, Any]:
    return {
        "key": "timed-alert",
        "name": "A task that breaches",
        "steps": [
            {
                "id": "work",
                "kind": "human",
                "queue": "timed",
                "outcomes": {"done": "end"},
                "sla": {"calendar": "24x7", "target": "PT1S"},
            }
        ],
    }


async def _outbox(stack: Stack) -> list[Any]:
    engine = create_async_engine(stack.settings.database_url)
    try:
        async with engine.connect() as connection:
            query = text(
                "SELECT kind, attempts, last_error, delivered_at FROM notifications ORDER BY id"
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


async def test_breach_alerts_are_pushed_signed_retried_and_listed_by_role(
    stack: Stack, receiver: Receiver
) -> None:
    await stack.call("POST", "/templates", "maria", 201, json={"definition": _timed()})
    response = await stack.call(
        "POST",
        "/engagements",
        "maria",
        201,
        json={
            "firm_id": stack.user_ids["firm"],
            "template": "timed-alert",
            "title": TITLE,
            "matter_ref": "HM-2024-0999",
            "inputs": {},
        },
    )
    engagement_id = response.json()["id"]

    async def breached() -> bool:
        return any(row.kind == "sla.breached" for row in await _outbox(stack))

    await _until(breached)
    sweeper, dispatcher, reconciler = await ensure_housekeeping_schedules(
        stack.temporal, stack.settings.task_queue
    )
    schedule = stack.temporal.get_schedule_handle(dispatcher)
    try:
        # The receiver is down: the alert stays in the outbox with the error, nothing is lost.
        await schedule.trigger()

        async def attempted() -> bool:
            return all(row.attempts >= 1 for row in await _outbox(stack))

        await _until(attempted)
        (row,) = await _outbox(stack)
        assert row.delivered_at is None and row.last_error == "webhook answered 503"
        listed = (await stack.call("GET", "/notifications", "maria", 200)).json()
        assert [(n["kind"], n["pushed"]) for n in listed] == [("sla.breached", False)]

        # Back up: the next run delivers it, once.
        receiver.status = 200
        await schedule.trigger()

        async def delivered() -> bool:
            return all(row.delivered_at is not None for row in await _outbox(stack))

        await _until(delivered)
        await schedule.trigger()
        await asyncio.sleep(1)
    finally:
        await schedule.delete()
        for other in (sweeper, reconciler):
            await stack.temporal.get_schedule_handle(other).delete()

    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    event = Webhook(SECRET).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body.replace(b"work", b"WORK"), headers)
    alert = event["data"]
    assert event["type"] == "sla.breached" and headers["webhook-id"].startswith("msg_")
    assert (alert["kind"], alert["engagement_id"]) == ("sla.breached", engagement_id)
    assert alert["detail"]["step_id"] == "work"
    assert TITLE not in body.decode() and "Okafor" not in body.decode()

    # In-app: the firm's partner sees it, another firm's partner and clerks do not.
    listed = (await stack.call("GET", "/notifications", "paula", 200)).json()
    assert [(n["kind"], n["pushed"]) for n in listed] == [("sla.breached", True)]
    assert (
        await stack.call("GET", f"/notifications?after={listed[0]['id']}", "paula", 200)
    ).json() == []
    other_firm = await stack.create_firm("maria", "Birch Ostrowski PC")
    await stack.add_user("pete", Role.PARTNER, firm=other_firm)
    assert (await stack.call("GET", "/notifications", "pete", 200)).json() == []
    await stack.call("GET", "/notifications", "carlos", 403)
    await stack.call("GET", "/notifications?limit=0", "maria", 422)
