"""A running Docketflow for tests: the API in-process over ASGI, a worker, users and helpers."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from temporalio.client import Client

from api.app import create_app
from cli.bootstrap import add_user
from core.settings import Settings
from core.temporal import connect
from domain.enums import Role
from store.db import make_engine, make_session_factory
from store.key_store import firm_key_store
from tests import sample_files
from tests.history_transcoding import reencrypt_for_replay
from workers.audit_chainer import HeadSigning, chaining
from workers.engagement_worker import build_worker

PASSWORD = "correct-horse-battery"
HISTORIES = Path(__file__).parent / "histories"

MOTION_INPUTS = {"court": "SDNY", "case_number": "1:24-cv-05567", "document_type": "motion"}
SIGNATURE = "/s/ Jane Roe"
MOTION_PAGES = ("MOTION TO COMPEL DISCOVERY", "ARGUMENT", "CONCLUSION")


@dataclass
class Stack:
    settings: Settings
    http: httpx.AsyncClient
    temporal: Client
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def add_user(
        self, username: str, role: Role, skills: list[str] | None = None, firm: str | None = None
    ) -> str:
        user_id = await add_user(self.settings, username, role, PASSWORD, firm, skills or [])
        self.user_ids[username] = str(user_id)
        response = await self.http.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        response.raise_for_status()
        self.tokens[username] = response.json()["access_token"]
        return str(user_id)

    async def call(
        self, method: str, path: str, user: str, expect: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.auth(user), **kwargs.pop("headers", {})}
        response = await self.http.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response

    async def create_firm(self, user: str, name: str = "Hale & Morrow LLP") -> str:
        response = await self.call("POST", "/firms", user, 201, json={"name": name})
        return str(response.json()["id"])

    async def create_engagement(
        self,
        user: str,
        firm_id: str,
        template: str = "draft-qc-efile",
        inputs: dict[str, Any] | None = None,
        priority: str = "normal",
    ) -> str:
        response = await self.call(
            "POST",
            "/engagements",
            user,
            201,
            json={
                "firm_id": firm_id,
                "template": template,
                "title": "Motion to compel discovery",
                "matter_ref": "HM-2024-0113",
                "priority": priority,
                "inputs": MOTION_INPUTS if inputs is None else inputs,
            },
        )
        return str(response.json()["id"])

    async def wait_for_task(
        self, engagement_id: str, step_id: str, user: str, visit: int = 1, timeout: float = 20
    ) -> dict[str, Any]:
        """The engagement's task for a step visit, once the workflow has created it."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            response = await self.call("GET", f"/tasks?engagement_id={engagement_id}", user, 200)
            for task in response.json()["items"]:
                if task["step_id"] == step_id and task["visit"] == visit:
                    return dict(task)
            await asyncio.sleep(0.1)
        raise AssertionError(f"no task for step {step_id!r} visit {visit} after {timeout}s")

    async def record_history(
        self, engagement_id: str, name: str, workflow_id: str | None = None
    ) -> None:
        """With DOCKETFLOW_RECORD_HISTORIES=1, save this engagement's history for replay tests
        (or that of one of its fan-out item runs, given its `workflow_id`).

        The committed histories under tests/histories/ are replayed against the current workflow
        code on every run, so a change that would break running engagements fails CI.
        """
        if os.environ.get("DOCKETFLOW_RECORD_HISTORIES") != "1":
            return
        handle = self.temporal.get_workflow_handle(
            workflow_id or await self.workflow_id(engagement_id)
        )
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        # Payloads re-encrypted under the public development key: the firm keys of a test
        # database are gone once the test ends, and the replay test must read them.
        (HISTORIES / f"{name}.json").write_text(
            await reencrypt_for_replay(history.to_json(), self.temporal.data_converter)
        )
        # Replays must use the original id: fan-out children's ids are derived from it.
        index_file = HISTORIES / "workflow-ids.json"
        index = json.loads(index_file.read_text()) if index_file.exists() else {}
        index[name] = history.workflow_id
        index_file.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")

    async def draft_output(
        self,
        engagement_id: str,
        user: str,
        pages: Sequence[str] = MOTION_PAGES,
        document_id: str | None = None,
    ) -> dict[str, Any]:
        """Upload a drafted PDF (a new version of `document_id`, if given) as `user`, who must
        hold a task of the engagement if a clerk; the draft step's output naming it."""
        files = {"file": ("motion.pdf", sample_files.pdf(pages), "application/pdf")}
        if document_id is None:
            path, data = f"/engagements/{engagement_id}/documents", {"kind": "draft"}
            data["title"] = "Motion to compel"
        else:
            path, data = f"/documents/{document_id}/versions", {}
        uploaded = await self.call("POST", path, user, 201, files=files, data=data)
        return {"document": uploaded.json()["id"], "signature": SIGNATURE}

    async def claim_and_complete(
        self,
        task_id: str,
        user: str,
        outcome: str = "done",
        output: dict[str, Any] | None = None,
        note: str | None = None,
        *,
        draft: bool = False,
    ) -> dict[str, Any]:
        """`user` claims the task and completes it with `outcome`; returns the completed task.
        `draft`: first upload a drafted PDF and complete with the output naming it."""
        claimed = await self.call("POST", f"/tasks/{task_id}/claim", user, 200)
        if draft:
            output = await self.draft_output(claimed.json()["engagement_id"], user)
        body: dict[str, Any] = {"outcome": outcome}
        if output is not None:
            body["output"] = output
        if note is not None:
            body["note"] = note
        done = await self.call("POST", f"/tasks/{task_id}/complete", user, 200, json=body)
        return dict(done.json())

    async def workflow_id(self, engagement_id: str) -> str:
        """The engagement's workflow id (it starts with its firm: see domain.messages)."""
        engine = create_async_engine(self.settings.database_url)
        try:
            async with engine.connect() as connection:
                query = text("SELECT workflow_id FROM engagements WHERE id = :id")
                return str((await connection.execute(query, {"id": engagement_id})).scalar_one())
        finally:
            await engine.dispose()

    async def wait_for_status(
        self, engagement_id: str, status: str, user: str, timeout: float = 30
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        body: dict[str, Any] = {}
        while asyncio.get_running_loop().time() < deadline:
            body = (await self.call("GET", f"/engagements/{engagement_id}", user, 200)).json()
            if body["status"] == status:
                return body
            await asyncio.sleep(0.1)
        raise AssertionError(f"engagement stayed {body.get('status')!r}, expected {status!r}")


@asynccontextmanager
async def running_api(
    settings: Settings, tracing: TracerProvider | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, Client]]:
    app = create_app(settings, tracing)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", timeout=60
        ) as http:
            yield http, app.state.temporal


@asynccontextmanager
async def running_worker(
    settings: Settings, tracing: TracerProvider | None = None
) -> AsyncIterator[None]:
    engine = make_engine(settings.database_url, pool_size=5)
    sessions = make_session_factory(engine)
    keys = firm_key_store(settings, sessions)
    client = await connect(settings, keys, tracing=tracing)
    worker = build_worker(client, sessions, settings.task_queue, settings=settings, keys=keys)
    async with worker, chaining(sessions, signing=HeadSigning.from_settings(settings)):
        yield
    await engine.dispose()


@asynccontextmanager
async def running_stack(settings: Settings, with_worker: bool = True) -> AsyncIterator[Stack]:
    async with running_api(settings) as (http, temporal):
        stack = Stack(settings=settings, http=http, temporal=temporal)
        if with_worker:
            async with running_worker(settings):
                yield stack
        else:
            yield stack
