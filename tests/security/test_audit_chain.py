"""The audit log is append-only and hash-chained: any edit or deletion is found and named, and
exports give a client its own firm's trail only.

These act as the schema's owner, the one role the triggers (not privileges) hold back; the
runtime role's own limits are in test_database_roles.py."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from cli.main import app as cli
from store.db import SessionFactory, make_engine, make_session_factory
from store.repositories import audit
from store.repositories.audit import AuditRecord
from store.roles import SET_MAINTENANCE
from tests.harness import Stack
from workers.audit_chainer import chaining

MAINTENANCE = SET_MAINTENANCE


@pytest.fixture
async def sessions(owner_database_url: str) -> AsyncIterator[SessionFactory]:
    engine = make_engine(owner_database_url, pool_size=5)
    yield make_session_factory(engine)
    await engine.dispose()


async def _write(
    sessions: SessionFactory, count: int, prefix: str = "test", chain: bool = True
) -> None:
    """`count` entries, one transaction each, then chained as the workers' chainer would."""
    for n in range(count):
        async with sessions.begin() as session:
            await audit.record(
                session,
                AuditRecord(
                    action=f"{prefix}.action",
                    object_type="firm",
                    object_id=str(n),
                    firm_id=uuid.uuid4(),
                    detail={"n": n, "note": "x"},
                ),
            )
    if chain:
        async with sessions.begin() as session:
            await audit.chain_pending(session)


async def _ids(sessions: SessionFactory) -> list[int]:
    async with sessions() as session:
        return list((await session.execute(text("SELECT id FROM audit_log ORDER BY id"))).scalars())


async def _verify(sessions: SessionFactory) -> audit.ChainReport:
    async with sessions() as session:
        return await audit.verify_chain(session)


async def test_an_untouched_chain_verifies(sessions: SessionFactory) -> None:
    await _write(sessions, 5)
    report = await _verify(sessions)
    assert report.intact and report.checked == 5


async def test_the_database_refuses_to_update_or_delete_entries(sessions: SessionFactory) -> None:
    await _write(sessions, 1)
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with sessions.begin() as session:
                await session.execute(text(statement))
    with pytest.raises(DBAPIError, match="append-only"):
        async with sessions.begin() as session:
            await session.execute(text("TRUNCATE audit_log"))


async def test_an_edited_entry_is_found_and_named(sessions: SessionFactory) -> None:
    await _write(sessions, 5)
    third = (await _ids(sessions))[2]
    async with sessions.begin() as session:
        await session.execute(text(MAINTENANCE))
        await session.execute(
            text("UPDATE audit_log SET detail = '{\"n\": 99}' WHERE id = :id"), {"id": third}
        )
    report = await _verify(sessions)
    assert (report.broken_id, report.checked) == (third, 2)
    assert "edited" in (report.problem or "")


async def test_a_deleted_entry_is_found_at_its_successor(sessions: SessionFactory) -> None:
    await _write(sessions, 5)
    ids = await _ids(sessions)
    async with sessions.begin() as session:
        await session.execute(text(MAINTENANCE))
        await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    report = await _verify(sessions)
    assert report.broken_id == ids[2]
    assert "deleted" in (report.problem or "")


async def test_deleting_the_newest_entries_is_caught_against_an_exported_head(
    sessions: SessionFactory,
) -> None:
    await _write(sessions, 4)
    head = await _verify(sessions)
    assert head.head_id is not None and head.head_hash is not None
    async with sessions.begin() as session:
        await session.execute(text(MAINTENANCE))
        await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": head.head_id})
    assert (await _verify(sessions)).intact  # a shortened chain is still a chain...
    async with sessions() as session:
        report = await audit.verify_chain(session, anchor=(head.head_id, head.head_hash))
    assert report.broken_id == head.head_id  # ...but not the one exported earlier


async def test_concurrent_writers_and_chainers_never_fork_the_chain(
    sessions: SessionFactory,
) -> None:
    # Two chainers run while eight writers commit: entries are linked as they commit.
    async with chaining(sessions, interval=0.01), chaining(sessions, interval=0.01):
        await asyncio.gather(*(_write(sessions, 10, f"w{w}", chain=False) for w in range(8)))
        await asyncio.sleep(0.5)
    async with sessions() as session:
        seqs = (await session.execute(text("SELECT seq FROM audit_log ORDER BY seq"))).scalars()
        assert list(seqs) == list(range(1, 81))  # every entry chained once, no gap, no fork
    report = await _verify(sessions)
    assert report.intact and report.checked == 80 and report.unchained == 0


async def test_an_entry_is_append_only_before_it_is_chained_and_chained_only_once(
    sessions: SessionFactory,
) -> None:
    await _write(sessions, 1, chain=False)
    forged = "UPDATE audit_log SET seq = 1, prev_hash = repeat('0', 64), hash = 'x', action = 'y'"
    for statement in (forged, "UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with sessions.begin() as session:
                await session.execute(text(statement))
    async with sessions.begin() as session:
        assert await audit.chain_pending(session) == 1
    with pytest.raises(DBAPIError, match="append-only"):
        async with sessions.begin() as session:
            await session.execute(text("UPDATE audit_log SET seq = 7, hash = repeat('f', 64)"))
    assert (await _verify(sessions)).checked == 1


def test_verify_on_the_command_line_prints_the_first_broken_entry(
    database_url: str, owner_database_url: str
) -> None:
    async def on_database(tamper: bool) -> int:
        engine = make_engine(owner_database_url, pool_size=1)
        factory = make_session_factory(engine)
        first = 0
        if tamper:
            first = (await _ids(factory))[0]
            async with factory.begin() as session:
                await session.execute(text(MAINTENANCE))
                await session.execute(
                    text("UPDATE audit_log SET actor_role = 'admin' WHERE id = :id"), {"id": first}
                )
        else:
            await _write(factory, 3)
        await engine.dispose()
        return first

    runner = CliRunner()
    env = {"DOCKETFLOW_DATABASE_URL": database_url, "DOCKETFLOW_ENV": "test"}
    asyncio.run(on_database(tamper=False))
    intact = runner.invoke(cli, ["audit", "verify"], env=env)
    assert intact.exit_code == 0 and "intact: 3 entries" in intact.output, intact.output
    head = intact.output.strip().rsplit(" ", 1)[-1]
    assert runner.invoke(cli, ["audit", "verify", "--expect-head", head], env=env).exit_code == 0
    first = asyncio.run(on_database(tamper=True))
    broken = runner.invoke(cli, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert f"BROKEN at audit entry {first}" in broken.output


async def test_a_firm_export_holds_its_trail_in_json_and_csv(stack: Stack) -> None:
    firm_a, engagement = stack.user_ids["firm_a"], stack.user_ids["engagement"]
    exported = await stack.call("GET", f"/audit/export?firm_id={firm_a}", "paula", 200)
    entries = exported.json()["entries"]
    assert entries and {e["firm_id"] for e in entries} == {firm_a}
    assert {"engagement.created", "firm.created"} <= {e["action"] for e in entries}
    assert all(len(e["hash"]) == 64 and len(e["prev_hash"]) == 64 for e in entries)
    as_csv = await stack.call(
        "GET", f"/audit/export?engagement_id={engagement}&format=csv", "maria", 200
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows and {r["engagement_id"] for r in rows} == {engagement}
    await stack.call("GET", "/audit/export", "maria", 422)


async def test_a_partner_cannot_export_or_read_another_firms_trail(stack: Stack) -> None:
    firm_a, engagement = stack.user_ids["firm_a"], stack.user_ids["engagement"]
    await stack.call("GET", f"/audit/export?firm_id={firm_a}", "pete", 404)
    await stack.call("GET", f"/audit/export?engagement_id={engagement}", "pete", 404)
    await stack.call("GET", f"/audit?engagement_id={engagement}", "pete", 404)
    everything = (await stack.call("GET", "/audit", "pete", 200)).json()
    assert all(e["firm_id"] == stack.user_ids["firm_b"] for e in everything)
