"""`docketflow keys …`: make and re-wrap the data keys that encrypt Temporal payloads.

Rotation: `keys new k2026b`, add the printed entry to DOCKETFLOW_CODEC_KEYS, set
DOCKETFLOW_CODEC_KEY_ID=k2026b, restart. Old histories keep decrypting with the old key for as
long as it stays listed; removing it shreds them. A new master key: `keys rewrap NEW_MASTER`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.codec import KeyMaterialError, new_data_key, unwrap_key, wrap_key
from core.settings import load_settings

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
) -> None:
    """Print DOCKETFLOW_CODEC_KEYS re-wrapped under a new master key (histories are unchanged)."""
    settings = load_settings(home)
    try:
        keys = {
            kid: wrap_key(new_master, kid, unwrap_key(settings.codec_master_key, kid, wrapped))
            for kid, wrapped in settings.codec_keys.items()
        }
    except KeyMaterialError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(f"DOCKETFLOW_CODEC_KEYS='{json.dumps(keys)}'")
