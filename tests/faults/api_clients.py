"""Clients of a dev stack under faults: they retry as real ones do, and note what they saw."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from cli.bootstrap import add_user
from core.settings import load_settings
from domain.enums import Role
from tests.dev_process import DevStack

PASSWORD = "fault-injection-pw"
QUEUES = ["fault-write", "fault-check"]
# Two human steps and separation of duties: the test is about faults, not about the domain.
TEMPLATE = {
    "key": "fault-letter",
    "name": "Letter, written then checked by someone else",
    "steps": [
        {
            "id": "write",
            "kind": "human",
            "queue": "fault-write",
            "skill": "drafting",
            "outcomes": {"done": "check"},
        },
        {
            "id": "check",
            "kind": "human",
            "queue": "fault-check",
            "skill": "qc",
            "not_by": ["write"],
            "outcomes": {"done": "end"},
        },
    ],
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Ledger:
    """What the clients saw, to hold against what the database says."""

    phase: str = "warm-up"
    completions: int = 0
    completed_by: dict[str, str] = field(default_factory=dict)  # task id -> username told 200
    created: dict[str, str] = field(default_factory=dict)  # idempotency key -> engagement id
    transient: Counter[str] = field(default_factory=Counter)  # "phase | call | what" -> count
    anomalies: list[str] = field(default_factory=list)
    recoveries: dict[str, float] = field(default_factory=dict)  # child -> seconds to flow again


class Client:
    """One user's HTTP client, retrying the way a real client does until `deadline`."""

    def __init__(self, api: str, username: str, ledger: Ledger, deadline: float) -> None:
        self.username = username
        self._http = httpx.AsyncClient(base_url=api, timeout=30)
        self._ledger = ledger
        self._deadline = deadline
        self._headers: dict[str, str] = {}

    @property
    def headers(self) -> dict[str, str]:
        """The bearer header, for a single attempt that must not be retried."""
        return dict(self._headers)

    async def login(self) -> None:
        response = await self.call(
            "POST", "/auth/token", data={"username": self.username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self._headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """The first answer that is not a 5xx; lost connections and 5xx are retried."""
        delay = 0.2
        while True:
            try:
                response = await self._http.request(
                    method, path, headers={**self._headers, **(headers or {})}, **kwargs
                )
                if response.status_code < 500:
                    return response
                what = f"{response.status_code} {_short(response.text)}"
            except httpx.TransportError as error:
                what = type(error).__name__
            route = UUID.sub("{id}", path)
            self._ledger.transient[f"{self._ledger.phase} | {method} {route} | {what}"] += 1
            if time.monotonic() > self._deadline:
                raise AssertionError(f"{self.username}: {method} {path} still failing: {what}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def close(self) -> None:
        await self._http.aclose()


def _short(body: str) -> str:
    try:
        return str(json.loads(body).get("detail", ""))[:80]
    except (ValueError, AttributeError):
        return body[:80]


async def set_up(
    stack: DevStack, ledger: Ledger, deadline: float, clerks: list[str]
) -> tuple[Client, str]:
    """A manager `boss`, clerks with both skills, a firm and the template; returns the manager's
    client and the firm id."""
    settings = load_settings(stack.home)
    await add_user(settings, "boss", Role.MANAGER, PASSWORD, None, [])
    for name in clerks:
        await add_user(settings, name, Role.CLERK, PASSWORD, None, ["drafting", "qc"])
    boss = Client(stack.api, "boss", ledger, deadline)
    await boss.login()
    firm = await boss.call("POST", "/firms", json={"name": "Fault & Injection LLP"})
    assert firm.status_code == 201, firm.text
    published = await boss.call("POST", "/templates", json={"definition": TEMPLATE})
    assert published.status_code == 201, published.text
    return boss, str(firm.json()["id"])
