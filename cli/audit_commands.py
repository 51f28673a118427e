"""`docketflow audit verify`: re-walk the hash chain of the audit log and name the first break;
`audit heads` exports the signed chain heads, `audit new-key` makes a signing key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from core.audit_signing import SignedHead, new_private_key, public_key_text
from core.logging import configure_logging
from core.settings import Settings, load_settings
from store.db import make_engine, make_session_factory
from store.repositories.audit import ChainReport, chain_pending, signed_heads, verify_chain

audit_app = typer.Typer(help="The audit trail (admin).", no_args_is_help=True)


async def run_verify(
    settings: Settings,
    anchor: tuple[int, str] | None = None,
    extra_heads: Sequence[SignedHead] = (),
) -> ChainReport:
    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    sessions = make_session_factory(engine)
    try:
        async with sessions.begin() as session:  # every entry committed so far, chained first
            await chain_pending(session, max_rows=10_000_000)
        async with sessions() as session:
            return await verify_chain(
                session,
                anchor=anchor,
                verifier=settings.audit_head_verifier(),
                extra_heads=extra_heads,
            )
    finally:
        await engine.dispose()


def head_to_json(head: SignedHead) -> str:
    return json.dumps(
        {
            "seq": head.seq,
            "entry_id": head.entry_id,
            "hash": head.hash,
            "signed_at": head.signed_at.isoformat(),
            "key_id": head.key_id,
            "signature": head.signature,
        }
    )


def head_from_json(line: str) -> SignedHead:
    data = json.loads(line)
    return SignedHead(
        seq=int(data["seq"]),
        entry_id=int(data["entry_id"]),
        hash=str(data["hash"]),
        signed_at=datetime.fromisoformat(data["signed_at"]),
        key_id=str(data["key_id"]),
        signature=str(data["signature"]),
    )


async def _heads(settings: Settings) -> list[SignedHead]:
    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    try:
        async with make_session_factory(engine)() as session:
            return await signed_heads(session)
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
    heads: Annotated[
        Path | None,
        typer.Option(help="Signed heads exported earlier by `audit heads` (JSON lines)"),
    ] = None,
) -> None:
    """Exit 0 when every entry matches its hash (recomputed here) and links to the one before,
    and every signed head (the database's and `--heads`) verifies and matches the chain; 1
    otherwise."""
    settings = load_settings(home)
    configure_logging(settings)
    anchor = None
    if expect_head:
        head_id, _, head_hash = expect_head.partition(":")
        if not head_id.isdigit() or len(head_hash) != 64:
            typer.echo("error: --expect-head takes ID:HASH as printed by verify", err=True)
            raise typer.Exit(code=2)
        anchor = (int(head_id), head_hash)
    exported: list[SignedHead] = []
    if heads is not None:
        try:
            lines = heads.read_text().splitlines()
            exported = [head_from_json(line) for line in lines if line.strip()]
        except (OSError, ValueError, KeyError, TypeError) as error:
            typer.echo(f"error: --heads {heads}: {error}", err=True)
            raise typer.Exit(code=2) from error
    report = asyncio.run(run_verify(settings, anchor, exported))
    if not report.intact:
        typer.echo(
            f"BROKEN at audit entry {report.broken_id}: {report.problem} "
            f"({report.checked} entries before it are intact)"
        )
        raise typer.Exit(code=1)
    newest = (
        report.newest_signed_at.isoformat(timespec="seconds") if report.newest_signed_at else None
    )
    typer.echo(f"signed heads checked: {report.signed_heads}; newest signed at {newest}")
    typer.echo(
        f"audit chain intact: {report.checked} entries; head {report.head_id}:{report.head_hash}"
    )


@audit_app.command("heads")
def heads_command(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="DOCKETFLOW_HOME", help="State folder of a dev stack to reach"
        ),
    ] = None,
) -> None:
    """Print the signed chain heads as JSON lines: keep them outside the database (object
    storage with retention, a ticket) and pass them to `verify --heads` later."""
    settings = load_settings(home)
    configure_logging(settings)
    for head in asyncio.run(_heads(settings)):
        typer.echo(head_to_json(head))


@audit_app.command("new-key")
def new_key() -> None:
    """A new Ed25519 signing key for DOCKETFLOW_AUDIT_SIGNING_KEY, and its public key (give it to
    whoever verifies; keep it in DOCKETFLOW_AUDIT_VERIFY_KEYS after rotating)."""
    private = new_private_key()
    typer.echo(f"DOCKETFLOW_AUDIT_SIGNING_KEY={private}")
    typer.echo(f"public key: {public_key_text(private)}")
