"""The runtime role cannot tamper with the audit trail, and a tamper by the owner that recomputes
the chain is caught by verify through the heads the workers signed.

The API and workers connect as `docketflow_app` (migration 0017): DML only, no ownership, no DDL;
the append-only bypass is a role it is not a member of, not a setting it can set.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from cli.main import app as cli
from core.settings import Settings
from store.db import SessionFactory, make_engine, make_session_factory
from store.repositories import audit, audit_heads
from store.repositories.audit import AuditRecord
from store.roles import AUDIT_MAINTENANCE, RUNTIME, SET_MAINTENANCE
from workers.audit_chainer import HeadSigning, chaining

DEV = Settings(env="test")
INSUFFICIENT_PRIVILEGE = "42501"  # permission denied, must be owner, append-only refused
SIGNING = HeadSigning.from_settings(DEV)

# Every way the runtime role could get past the audit log's protection, and each must fail.
TAMPERING = {
    "disable a trigger": "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    "disable every trigger": "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "drop a trigger": "DROP TRIGGER audit_log_no_change ON audit_log",
    "replace the hash function": (
        "CREATE OR REPLACE FUNCTION audit_entry_hash(e audit_log) RETURNS text "
        "LANGUAGE sql STABLE AS $$ SELECT e.hash $$"
    ),
    "replace the append-only function": (
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
    ),
    "become the maintenance role": f"SET ROLE {AUDIT_MAINTENANCE}",
    "grant itself the maintenance role": f"GRANT {AUDIT_MAINTENANCE} TO {RUNTIME}",
    "skip triggers as a replica": "SET session_replication_role = replica",
    "update an entry": "UPDATE audit_log SET action = 'x'",
    "delete an entry": "DELETE FROM audit_log",
    "truncate the log": "TRUNCATE audit_log",
    "update a signed head": "UPDATE audit_heads SET hash = repeat('0', 64)",
    "delete a signed head": "DELETE FROM audit_heads",
    "create a table": "CREATE TABLE shadow (id int)",
    "create a function": "CREATE FUNCTION shadow() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
    "alter a table": "ALTER TABLE tasks ADD COLUMN shadow int",
    "drop a table": "DROP TABLE audit_heads",
    "rename the log": "ALTER TABLE audit_log RENAME TO audit_log_old",
    "reset the id sequence": "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 1)",
    "delete tasks": "DELETE FROM tasks",
}


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def owner(owner_database_url: str) -> AsyncIterator[SessionFactory]:
    engine = make_engine(owner_database_url, pool_size=2)
    yield make_session_factory(engine)
    await engine.dispose()


async def _write(
    sessions: SessionFactory, count: int, detail: dict[str, object] | None = None
) -> None:
    for n in range(count):
        async with sessions.begin() as session:
            await audit.record(
                session,
                AuditRecord(
                    action="test.action",
                    object_type="firm",
                    object_id=str(n),
                    firm_id=uuid.uuid4(),
                    detail=detail if detail is not None else {"n": n},
                ),
            )
    async with sessions.begin() as session:
        await audit.chain_pending(session)


async def _run(sessions: SessionFactory, *statements: str) -> None:
    async with sessions.begin() as session:
        for statement in statements:
            await session.execute(text(statement))


async def _sign(sessions: SessionFactory, at: datetime | None = None) -> None:
    async with sessions.begin() as session:
        await audit_heads.sign_head(
            session,
            SIGNING.signer,
            SIGNING.verifier,
            min_interval=timedelta(0),
            now=at or datetime.now(UTC),
        )


async def _verify(sessions: SessionFactory) -> audit.ChainReport:
    async with sessions() as session:
        return await audit.verify_chain(session, verifier=SIGNING.verifier)


async def _rewrite_as_owner(owner: SessionFactory, entry_id: int) -> None:
    """What an owner (or superuser) could do: edit an entry, then recompute every hash after it
    with the database's own function, so the chain is consistent again."""
    async with owner.begin() as session:
        await session.execute(text(SET_MAINTENANCE))
        await session.execute(
            text("UPDATE audit_log SET detail = '{\"n\": 99}' WHERE id = :id"), {"id": entry_id}
        )
        await session.execute(
            text(
                "DO $$ DECLARE r audit_log; previous text := repeat('0', 64); BEGIN "
                "FOR r IN SELECT * FROM audit_log WHERE seq IS NOT NULL ORDER BY seq LOOP "
                "r.prev_hash := previous; previous := audit_entry_hash(r); "
                "UPDATE audit_log SET prev_hash = r.prev_hash, hash = previous WHERE id = r.id; "
                "END LOOP; END $$"
            )
        )


@pytest.mark.parametrize("statement", TAMPERING.values(), ids=TAMPERING.keys())
async def test_the_runtime_role_cannot_tamper_with_the_audit_trail(
    runtime: SessionFactory, statement: str
) -> None:
    await _write(runtime, 2)
    await _sign(runtime)
    with pytest.raises(DBAPIError) as refused:
        async with runtime.begin() as session:
            await session.execute(text(statement))
    assert getattr(refused.value.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE, refused.value
    assert (await _verify(runtime)).intact


async def test_setting_the_old_maintenance_switch_gets_the_runtime_nothing(
    runtime: SessionFactory, owner: SessionFactory
) -> None:
    await _write(runtime, 1)
    switch = "SET LOCAL docketflow.audit_maintenance = 'on'"
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="permission denied"):
            await _run(runtime, switch, statement)
    # Nor the owner: only the maintenance role passes the triggers.
    with pytest.raises(DBAPIError, match="append-only"):
        await _run(owner, switch, "DELETE FROM audit_log")


async def test_the_runtime_role_owns_nothing_and_is_no_superuser(runtime: SessionFactory) -> None:
    async with runtime() as session:
        role = (
            await session.execute(
                text(
                    "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            )
        ).one()
        owned = await session.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
            )
        )
        audit_privileges = await session.execute(
            text(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = current_user AND table_name = 'audit_log' ORDER BY 1"
            )
        )
        assert tuple(role) == (False, False, False, False, False)
        assert owned.scalar_one() == 0
        assert list(audit_privileges.scalars()) == ["INSERT", "SELECT"]


async def test_an_owner_rewrite_that_recomputes_the_chain_is_caught_by_the_signed_heads(
    runtime: SessionFactory, owner: SessionFactory
) -> None:
    await _write(runtime, 5)
    await _sign(runtime)
    async with runtime() as session:
        second = (await session.execute(text("SELECT id FROM audit_log ORDER BY seq"))).all()[1].id
    await _rewrite_as_owner(owner, second)
    async with runtime() as session:  # the chain alone holds again...
        assert (await audit.verify_chain(session)).intact
    report = await _verify(runtime)  # ...but not against the head signed before the rewrite
    assert not report.intact
    assert "rewritten" in (report.problem or "")


async def test_a_replaced_hash_function_cannot_vouch_for_an_edited_entry(
    runtime: SessionFactory, owner: SessionFactory
) -> None:
    """verify recomputes hashes in Python: a database function returning the stored hash for
    any content does not make an edit pass."""
    await _write(runtime, 3)
    async with owner.begin() as session:
        await session.execute(
            text(
                "CREATE OR REPLACE FUNCTION audit_entry_hash(e audit_log) RETURNS text "
                "LANGUAGE sql STABLE AS $$ SELECT e.hash $$"
            )
        )
        await session.execute(text(SET_MAINTENANCE))
        edited = await session.execute(
            text("UPDATE audit_log SET actor_role = 'admin' WHERE seq = 2 RETURNING id")
        )
        edited_id = edited.scalar_one()
    report = await _verify(runtime)
    assert report.broken_id == edited_id
    assert "edited" in (report.problem or "")


async def test_a_forged_head_does_not_verify(runtime: SessionFactory) -> None:
    await _write(runtime, 2)
    async with runtime.begin() as session:  # the runtime may INSERT a head, but cannot sign one
        await session.execute(
            text(
                "INSERT INTO audit_heads (seq, entry_id, hash, signed_at, key_id, signature) "
                "SELECT seq, id, hash, now(), 'a1', repeat('A', 86) || '==' "
                "FROM audit_log ORDER BY seq DESC LIMIT 1"
            )
        )
    report = await _verify(runtime)
    assert not report.intact and "does not verify" in (report.problem or "")


async def test_the_signer_refuses_to_sign_over_a_rewritten_chain(
    runtime: SessionFactory, owner: SessionFactory
) -> None:
    await _write(runtime, 3)
    await _sign(runtime)
    await _write(runtime, 2)
    async with runtime() as session:
        fourth = (
            await session.execute(text("SELECT id FROM audit_log WHERE seq = 4"))
        ).scalar_one()
    async with owner.begin() as session:
        await session.execute(text(SET_MAINTENANCE))
        await session.execute(
            text("UPDATE audit_log SET action = 'forged' WHERE id = :id"), {"id": fourth}
        )
    with pytest.raises(audit_heads.ChainBrokenError, match=str(fourth)):
        await _sign(runtime)


async def test_workers_sign_the_head_on_a_schedule_and_hashes_agree_on_any_content(
    runtime: SessionFactory,
) -> None:
    tricky: dict[str, object] = {
        "quote": 'say "hi" \\ back',
        "control": "tab\there\nline\r\x01\x1f",
        "unicode": "Müller - 日本 - \u2028 - 😀",
        "numbers": [1, 2.5, -0.001, 10**20, 1e-7],
        "nested": {"b": True, "a": None, "longer_key": [], "z": {}},
    }
    often = HeadSigning(SIGNING.signer, SIGNING.verifier, timedelta(milliseconds=50))
    async with chaining(runtime, interval=0.01, signing=often):
        await _write(runtime, 3, detail=tricky)
        await asyncio.sleep(1.5)
        await _write(runtime, 2)
        await asyncio.sleep(1.5)
    report = await _verify(runtime)
    assert report.intact and report.checked == 5, report
    assert report.signed_heads >= 2 and report.newest_signed_at is not None


def test_exported_heads_catch_a_rewrite_that_also_deletes_the_heads(
    database_url: str, owner_database_url: str, tmp_path: Path
) -> None:
    """The owner can delete the head records too; heads exported with `audit heads` and kept
    elsewhere still catch the rewrite."""
    runner = CliRunner()
    env = {"DOCKETFLOW_DATABASE_URL": database_url, "DOCKETFLOW_ENV": "test"}

    async def prepare() -> int:
        engine = make_engine(database_url, pool_size=1)
        sessions = make_session_factory(engine)
        await _write(sessions, 4)
        await _sign(sessions)
        async with sessions() as session:
            first = (
                await session.execute(text("SELECT id FROM audit_log WHERE seq = 1"))
            ).scalar_one()
        await engine.dispose()
        return int(first)

    async def rewrite(entry_id: int) -> None:
        engine = make_engine(owner_database_url, pool_size=1)
        sessions = make_session_factory(engine)
        await _rewrite_as_owner(sessions, entry_id)
        async with sessions.begin() as session:
            await session.execute(text(SET_MAINTENANCE))
            await session.execute(text("DELETE FROM audit_heads"))
        await engine.dispose()

    first = asyncio.run(prepare())
    exported = runner.invoke(cli, ["audit", "heads"], env=env)
    assert exported.exit_code == 0 and exported.output.count("\n") == 1, exported.output
    heads_file = tmp_path / "heads.jsonl"
    heads_file.write_text(exported.output)
    intact = runner.invoke(cli, ["audit", "verify", "--heads", str(heads_file)], env=env)
    assert intact.exit_code == 0 and "signed heads checked: 2" in intact.output, intact.output

    asyncio.run(rewrite(first))
    alone = runner.invoke(cli, ["audit", "verify"], env=env)
    assert alone.exit_code == 0  # the heads in the database are gone with the rewrite...
    caught = runner.invoke(cli, ["audit", "verify", "--heads", str(heads_file)], env=env)
    assert caught.exit_code == 1, caught.output  # ...the exported one is not
    assert "rewritten" in caught.output
