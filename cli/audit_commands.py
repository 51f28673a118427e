"""`docketflow audit verify`: re-walk the hash chain of the audit log and name the first break."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core.logging import configure_logging
from core.settings import Settings, load_settings
from store.db import make_engine, make_session_factory
from store.repositories.audit import ChainReport, chain_pending, verify_chain

audit_app = typer.Typer(help="The audit trail (admin).", no_args_is_help=True)


async def run_verify(settings: Settings, anchor: tuple[int, str] | None = None) -> ChainReport:
    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    sessions = make_session_factory(engine)
    try:
        async with sessions.begin() as session:  # every entry committed so far, chained first
            await chain_pending(session, max_rows=10_000_000)
        async with sessions() as session:
            return await verify_chain(session, anchor=anchor)
    finally:
        await engine.dispose()


@audit_app.command("verify")
def verify(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="DOCKETFLOW_HOME", help="State folder of a dev stack to reach"
        ),
    ] = None,
    expect_head: Annotated[
        str | None,
        typer.Option(help="ID:HASH of the head printed by an earlier run (catches truncation)"),
    ] = None,
) -> None:
    """Exit 0 when every entry matches its hash and links to the one before; 1 otherwise."""
    settings = load_settings(home)
    configure_logging(settings)
    anchor = None
    if expect_head:
        head_id, _, head_hash = expect_head.partition(":")
        if not head_id.isdigit() or len(head_hash) != 64:
            typer.echo("error: --expect-head takes ID:HASH as printed by verify", err=True)
            raise typer.Exit(code=2)
        anchor = (int(head_id), head_hash)
    report = asyncio.run(run_verify(settings, anchor))
    if not report.intact:
        typer.echo(
            f"BROKEN at audit entry {report.broken_id}: {report.problem} "
            f"({report.checked} entries before it are intact)"
        )
        raise typer.Exit(code=1)
    typer.echo(
        f"audit chain intact: {report.checked} entries; head {report.head_id}:{report.head_hash}"
    )
