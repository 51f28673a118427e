"""`docketflow keys …`: make and re-wrap the data keys that encrypt Temporal payloads.

Rotation: `keys new k2026b`, add the printed entry to DOCKETFLOW_CODEC_KEYS, set
DOCKETFLOW_CODEC_KEY_ID=k2026b, restart. Old histories keep decrypting with the old key for as
long as it stays listed; removing it shreds them. A new master key: `keys rewrap`, which also
re-wraps every firm's data key in the database (firm keys rotate and shred through
`/api/v1/firms/{id}/data-keys`).
"""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from core.codec import KeyMaterialError, check_master_key, new_data_key, unwrap_key, wrap_key
from core.settings import Settings, load_settings
from store.db import make_engine, make_session_factory
from store.repositories import audit, firm_keys
from store.repositories.audit import AuditRecord

keys_app = typer.Typer(help="Payload encryption keys (admin).", no_args_is_help=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", envvar="DOCKETFLOW_HOME", help="State folder of a dev stack to reach"),
]


@keys_app.command("new")
def keys_new(key_id: str, home: HomeOption = None) -> None:
    """Print DOCKETFLOW_CODEC_KEYS with a fresh data key KEY_ID added (wrapped by the master)."""
    settings = load_settings(home)
    if key_id in settings.codec_keys:
        typer.echo(f"error: key {key_id!r} exists already", err=True)
        raise typer.Exit(code=2)
    keys = {**settings.codec_keys, key_id: new_data_key(settings.codec_master_key, key_id)}
    typer.echo(f"DOCKETFLOW_CODEC_KEYS='{json.dumps(keys)}'")
    typer.echo(f"DOCKETFLOW_CODEC_KEY_ID={key_id}")


@keys_app.command("rewrap")
def keys_rewrap(
    new_master: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    home: HomeOption = None,
    database: Annotated[
        bool, typer.Option(help="Also re-wrap the firms' data keys in the database")
    ] = True,
) -> None:
    """Re-wrap every data key under a new master key (histories are unchanged).

    Prints the new DOCKETFLOW_CODEC_KEYS; firm keys are re-wrapped in place, in one transaction.
    Stop the API and workers first and start them with the new master: a process still on the
    old one cannot unwrap a firm key it has not cached yet."""
    settings = load_settings(home)
    try:
        check_master_key(new_master)
        keys = {
            kid: wrap_key(new_master, kid, unwrap_key(settings.codec_master_key, kid, wrapped))
            for kid, wrapped in settings.codec_keys.items()
        }
        firms = asyncio.run(_rewrap_firm_keys(settings, new_master)) if database else 0
    except KeyMaterialError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(f"DOCKETFLOW_CODEC_KEYS='{json.dumps(keys)}'")
    if database:
        typer.echo(f"# {firms} firm data key(s) re-wrapped in the database")


async def _rewrap_firm_keys(settings: Settings, new_master: str) -> int:
    def rewrap(key_id: str, wrapped: str) -> str:
        return wrap_key(new_master, key_id, unwrap_key(settings.codec_master_key, key_id, wrapped))

    engine = make_engine(settings.database_url, pool_size=1, limits=settings.database_limits)
    try:
        async with make_session_factory(engine).begin() as session:
            count = await firm_keys.rewrap_all(session, rewrap)
            await audit.record(
                session,
                AuditRecord(
                    action="keys.master_rewrapped",
                    object_type="deployment",
                    object_id=settings.temporal_namespace,
                    actor_role="system",
                    detail={"firm_keys": count, "via": "cli", "os_user": getpass.getuser()},
                ),
            )
        return count
    finally:
        await engine.dispose()
