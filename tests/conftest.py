"""Fixtures that start the real parts: a private PostgreSQL cluster and a Temporal dev server.

Each test gets its own database, cloned from a migrated template (fast, and no test sees another's
rows), and its own Temporal task queue, so tests never share state. The template is migrated by
the owner role; tests, the API and the worker connect as the runtime role (store/roles.py), as a
deployment does. `owner_database_url` is for the few tests that act as the owner.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cli.bootstrap import migrate_and_sync
from cli.devstack.postgres import RUNTIME_USER, PrivatePostgres
from cli.devstack.temporal_server import temporal_binary
from core.settings import Settings
from core.temporal import data_converter
from domain.enums import Role
from tests.harness import Stack, running_stack

TEMPLATE_DB = "docketflow_template"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    home = Path("/tmp") / f"docketflow-tests-{uuid.uuid4().hex[:8]}"
    cluster = PrivatePostgres(home)
    cluster.start()
    url = cluster.create_database(TEMPLATE_DB)
    asyncio.run(migrate_and_sync(Settings(database_url=url, env="test")))
    yield cluster
    cluster.stop()


@pytest.fixture
def test_database(postgres: PrivatePostgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres.create_database(name, template=TEMPLATE_DB)
    yield name
    postgres.drop_database(name)


@pytest.fixture
def database_url(postgres: PrivatePostgres, test_database: str) -> str:
    """The test's database as the runtime role."""
    return postgres.url_for(test_database, RUNTIME_USER)


@pytest.fixture
def owner_database_url(postgres: PrivatePostgres, test_database: str) -> str:
    """The test's database as the role that owns the schema (and may become the maintenance
    role): for tests that tamper with the audit log as an owner could."""
    return postgres.url_for(test_database)


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        data_converter=data_converter(),
        ui=False,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture
def settings(
    database_url: str, owner_database_url: str, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> Settings:
    return Settings(
        env="test",
        document_root=tmp_path / "documents",
        database_url=database_url,
        owner_database_url=owner_database_url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue=f"test-{uuid.uuid4().hex[:10]}",
        update_timeout_seconds=20,
        log_json=False,
    )


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    """The API and a worker, with a manager, three clerks and a firm with its partner."""
    async with running_stack(settings) as running:
        await running.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        await running.add_user("dana", Role.CLERK, ["drafting", "qc"])
        await running.add_user("quinn", Role.CLERK, ["qc"])
        firm_id = await running.create_firm("maria")
        await running.add_user("paula", Role.PARTNER, firm=firm_id)
        running.user_ids["firm"] = firm_id
        yield running
