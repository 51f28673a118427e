"""A PostgreSQL outage through the real server: 503 with Retry-After, logged once, and the API
heals by itself when the database is back (issue 13, finding 5).

The outage test stops a cluster of its own: the session-wide cluster is shared by every other test.
The API runs under uvicorn with the production logging set-up, so the count of logged errors
includes the server's own ("Exception in ASGI application").
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import structlog
import uvicorn
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli.bootstrap import add_user, migrate_and_sync
from cli.devstack.postgres import PrivatePostgres
from core.logging import configure_logging
from core.settings import Settings
from domain.enums import Role
from store.db import make_engine
from tests.harness import PASSWORD

PROBLEM_JSON = "application/problem+json"


class Captured(logging.Handler):
    """Every log record at WARNING or above, stdlib (uvicorn, SQLAlchemy) and structlog alike."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def events(self) -> list[str]:
        # structlog hands the formatter its event dict as the message.
        return [
            str(r.msg.get("event")) if isinstance(r.msg, dict) else r.getMessage()
            for r in self.records
        ]

    @staticmethod
    def has_traceback(record: logging.LogRecord) -> bool:
        # structlog keeps `exc_info` in its event dict until the formatter renders it.
        in_event = isinstance(record.msg, dict) and bool(record.msg.get("exc_info"))
        return record.exc_info is not None or in_event

    def take(self) -> list[logging.LogRecord]:
        taken, self.records = self.records, []
        return taken


@pytest.fixture
def captured(settings_for_logging: Settings) -> Iterator[Captured]:
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    configure_logging(settings_for_logging)  # what `docketflow api` does
    handler = Captured()
    root.addHandler(handler)
    yield handler
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)


@pytest.fixture
def settings_for_logging() -> Settings:
    return Settings(env="test", log_json=True, log_level="INFO")


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PrivatePostgres]:
    """A cluster this module may stop and start again."""
    home = Path("/tmp") / f"docketflow-outage-{uuid.uuid4().hex[:8]}"
    cluster = PrivatePostgres(home)
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
async def outage_settings(
    own_postgres: PrivatePostgres, temporal_env: WorkflowEnvironment
) -> Settings:
    url = own_postgres.create_database(f"o_{uuid.uuid4().hex[:12]}")
    settings = Settings(
        env="test",
        database_url=url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue=f"test-{uuid.uuid4().hex[:10]}",
        log_json=True,
    )
    await migrate_and_sync(settings)
    await add_user(settings, "carlos", Role.CLERK, PASSWORD, None, ["drafting"])
    return settings


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app under uvicorn as `docketflow api` runs it (its logging included), on a free port."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(400):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            yield http
    finally:
        server.should_exit = True
        await task


def _is_503_to_retry(response: httpx.Response) -> str:
    assert response.status_code == 503, (response.status_code, response.text)
    assert int(response.headers["retry-after"]) > 0
    return response.headers["content-type"]


def _assert_problem_503(response: httpx.Response) -> None:
    assert _is_503_to_retry(response) == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    assert "not completed" in body["detail"] and "retr" in body["detail"], body["detail"]


def _assert_logged_once(captured: Captured) -> None:
    records = captured.take()
    assert len(records) == 1, [r.getMessage() for r in records]
    (record,) = records
    assert isinstance(record.msg, dict) and record.msg["event"] == "database.unavailable"
    assert not captured.has_traceback(record)  # an outage is one line per request, not a traceback


async def test_a_database_outage_answers_503_logged_once_and_the_api_heals_without_a_restart(
    own_postgres: PrivatePostgres, outage_settings: Settings, captured: Captured
) -> None:
    async with serving(outage_settings) as http:
        login = await http.post(
            "/api/v1/auth/token", data={"username": "carlos", "password": PASSWORD}
        )
        token = login.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert (await http.get("/api/v1/me", headers=auth)).status_code == 200
        assert (await http.post("/api/v1/tasks/claim-next", headers=auth)).status_code == 204
        captured.take()

        await asyncio.to_thread(own_postgres.stop)

        # The first request finds its pooled connection closed by the shutdown, the next ones
        # find nothing listening: both are the same outage to the client.
        for _ in range(2):
            _assert_problem_503(await http.get("/api/v1/me", headers=auth))
            _assert_logged_once(captured)
        # The claims hot path runs on psycopg directly (store/repositories/tasks.py).
        _assert_problem_503(await http.post("/api/v1/tasks/claim-next", headers=auth))
        _assert_logged_once(captured)
        # The console is a client of the API: an error page, not a 500 or a traceback.
        page = await http.get("/console/work", headers={"Cookie": f"df_session={token}"})
        assert _is_503_to_retry(page).startswith("text/html")
        assert "not completed" in page.text and "Traceback" not in page.text
        _assert_logged_once(captured)
        signing_in = await http.post(
            "/console/login",
            data={"csrf": "c" * 16, "username": "carlos", "password": PASSWORD},
            headers={"Cookie": f"df_csrf={'c' * 16}"},
        )
        assert _is_503_to_retry(signing_in).startswith("text/html")
        assert "not completed" in signing_in.text
        _assert_logged_once(captured)

        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"].startswith("unreachable")
        assert ready.json()["temporal"] == "ok"

        await asyncio.to_thread(own_postgres.start)

        me = await http.get("/api/v1/me", headers=auth)
        assert me.status_code == 200, me.text
        assert (await http.post("/api/v1/tasks/claim-next", headers=auth)).status_code == 204
        assert (await http.get("/readyz")).status_code == 200
        assert captured.events() == []

        # A restart between two requests: the pooled connections are dead but were in use a
        # moment ago, so they are not pinged (store/db.py, PING_IDLE_SECONDS). The first request
        # may meet one and answer 503; that drops every connection opened before it, and the
        # next request works.
        await asyncio.to_thread(own_postgres.stop)
        await asyncio.to_thread(own_postgres.start)
        first = await http.get("/api/v1/me", headers=auth)
        if first.status_code != 200:
            _assert_problem_503(first)
            _assert_logged_once(captured)
        again = await http.get("/api/v1/me", headers=auth)
        assert again.status_code == 200, again.text
        assert (await http.post("/api/v1/tasks/claim-next", headers=auth)).status_code == 204
        assert captured.events() == []


async def test_an_unexpected_database_error_is_a_500_logged_once(
    settings: Settings, captured: Captured
) -> None:
    await add_user(settings, "carlos", Role.CLERK, PASSWORD, None, ["drafting"])
    # A real fault no retry can mend: the schema lost a table the claim reads (its owner did).
    engine = make_engine(settings.migration_database_url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE queues RENAME TO queues_gone"))
    await engine.dispose()
    async with serving(settings) as http:
        login = await http.post(
            "/api/v1/auth/token", data={"username": "carlos", "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        captured.take()
        response = await http.post("/api/v1/tasks/claim-next", headers=auth)
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "internal error; the request was not completed"
    assert "retry-after" not in response.headers
    # The problem+json came from inside the app: it carries the headers every response carries.
    assert response.headers["x-content-type-options"] == "nosniff"
    records = captured.take()
    assert len(records) == 1, [r.getMessage() for r in records]
    assert captured.has_traceback(records[0])  # a bug: one entry, with its traceback
