"""Every runtime connection carries statement, lock and idle-in-transaction timeouts, so a
forgotten transaction cannot hold back vacuum (or hold its locks) without limit (issue 13,
finding 6). The limits reach PostgreSQL as startup options (store/db.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from cli.bootstrap import add_user
from cli.devstack.postgres import PrivatePostgres
from core.settings import Settings
from domain.enums import Role
from store import migrate
from store.db import make_engine
from store.outage import Outage, classify
from tests.harness import PASSWORD, running_api

SHOW_LIMITS = text(
    "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'), "
    "current_setting('idle_in_transaction_session_timeout')"
)


async def _limits_of(engine: AsyncEngine) -> tuple[str, str, str]:
    async with engine.connect() as connection:
        row = (await connection.execute(SHOW_LIMITS)).one()
    return str(row[0]), str(row[1]), str(row[2])


@pytest.fixture
async def engine_with(database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    made: list[AsyncEngine] = []
    yield made
    for engine in made:
        await engine.dispose()


async def test_the_api_connections_carry_the_default_limits(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app), app.state.sessions() as session:
        row = (await session.execute(SHOW_LIMITS)).one()
    assert tuple(row) == ("30s", "5s", "1min")


async def test_configured_limits_reach_every_connection_and_keep_options_from_the_url(
    settings: Settings, engine_with: list[AsyncEngine]
) -> None:
    configured = settings.model_copy(
        update={
            "database_statement_timeout_seconds": 12,
            "database_lock_timeout_seconds": 2.5,
            "database_idle_in_transaction_timeout_seconds": 45,
        }
    )
    engine = make_engine(configured.database_url, 2, limits=configured.database_limits)
    engine_with.append(engine)
    assert await _limits_of(engine) == ("12s", "2500ms", "45s")
    # An operator's own startup options in the URL are kept beside ours.
    url = f"{settings.database_url}?options=-c%20application_name%3Dops-console"
    engine = make_engine(url, 1, limits=configured.database_limits)
    engine_with.append(engine)
    assert await _limits_of(engine) == ("12s", "2500ms", "45s")
    async with engine.connect() as connection:
        name = (await connection.execute(text("SHOW application_name"))).scalar_one()
    assert name == "ops-console"


async def test_a_session_left_idle_in_a_transaction_is_ended_by_the_server(
    settings: Settings, engine_with: list[AsyncEngine]
) -> None:
    short = settings.model_copy(update={"database_idle_in_transaction_timeout_seconds": 0.3})
    engine = make_engine(short.database_url, 1, limits=short.database_limits)
    watcher = make_engine(settings.database_url, 1)
    engine_with.extend([engine, watcher])
    async with engine.connect() as connection:
        await connection.begin()
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await asyncio.sleep(1.5)  # a forgotten snapshot, e.g. a request stuck on a slow call
        with pytest.raises(DBAPIError) as ended:
            await connection.execute(text("SELECT 1"))
    # The server says why it ended the session: the transaction was rolled back, not half-done.
    trouble = classify(ended.value)
    assert trouble is not None and (trouble.outage, trouble.sqlstate) == (
        Outage.UNAVAILABLE,
        "25P03",
    )
    async with watcher.connect() as connection:
        alive = await connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )
        assert alive.scalar_one() == 0
    # The pool dropped the dead connection: the next checkout works.
    assert await _limits_of(engine) == ("30s", "5s", "300ms")


async def test_a_statement_past_statement_timeout_is_cancelled_as_a_retryable_timeout(
    settings: Settings, engine_with: list[AsyncEngine]
) -> None:
    short = settings.model_copy(update={"database_statement_timeout_seconds": 0.2})
    engine = make_engine(short.database_url, 1, limits=short.database_limits)
    engine_with.append(engine)
    async with engine.connect() as connection:
        with pytest.raises(DBAPIError) as cancelled:
            await connection.execute(text("SELECT pg_sleep(2)"))
    trouble = classify(cancelled.value)
    assert trouble is not None and (trouble.outage, trouble.sqlstate) == (Outage.TIMEOUT, "57014")


@pytest.mark.parametrize(
    "limits",
    [
        # Lock waits count towards statement_timeout: with lock_timeout off, it is what fires.
        {"database_statement_timeout_seconds": 0.5, "database_lock_timeout_seconds": 0},
        {"database_lock_timeout_seconds": 0.3},
    ],
    ids=["statement_timeout", "lock_timeout"],
)
async def test_a_request_past_a_timeout_answers_503_through_the_api(
    settings: Settings, engine_with: list[AsyncEngine], limits: dict[str, float]
) -> None:
    await add_user(settings, "carlos", Role.CLERK, PASSWORD, None, ["drafting"])
    short = settings.model_copy(update=limits)
    locker = make_engine(settings.database_url, 1)
    engine_with.append(locker)
    async with running_api(short) as (http, _):
        login = await http.post(
            "/api/v1/auth/token", data={"username": "carlos", "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # Someone holds a lock the request needs (a migration, an operator's open transaction).
        async with locker.begin() as connection:
            await connection.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
            response = await http.get("/api/v1/me", headers=auth)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:docketflow:database-timeout"
        assert "not completed" in response.json()["detail"]
        assert (await http.get("/api/v1/me", headers=auth)).status_code == 200


async def test_migrations_lift_statement_timeout_for_their_own_connection(
    postgres: PrivatePostgres, engine_with: list[AsyncEngine]
) -> None:
    """A long index build must not be cut off by the limit meant for requests, even where the
    database or role sets one (the production setting in docs/operations.md)."""
    name = f"m_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    try:
        engine = make_engine(url, 1)
        engine_with.append(engine)
        async with engine.connect() as connection:
            await connection.execute(
                text(f"ALTER DATABASE \"{name}\" SET statement_timeout = '1ms'")
            )
        await asyncio.to_thread(migrate.upgrade, url)
        # The runtime's own limits still win over the database's default.
        assert await _limits_of(engine) == ("30s", "5s", "1min")
    finally:
        for engine in engine_with:
            await engine.dispose()
        engine_with.clear()
        postgres.drop_database(name)


async def test_the_dev_cluster_ends_idle_transactions_of_any_client(
    postgres: PrivatePostgres,
) -> None:
    """A backstop for sessions that are not the runtime's (psql, a notebook): server-wide."""
    conninfo = postgres.url_for("postgres").replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(conninfo) as connection:
        cursor = await connection.execute("SHOW idle_in_transaction_session_timeout")
        row = await cursor.fetchone()
    assert row is not None and row[0] == "5min"
