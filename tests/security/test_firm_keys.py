"""Each firm's engagement payloads are sealed under the firm's own data key: rotating it leaves
old histories readable, shredding it makes that firm's histories (and only those) unreadable."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

import pytest
from sqlalchemy import text
from temporalio.api.common.v1 import Payload
from typer.testing import CliRunner

from cli.main import app as cli
from core.codec import ENCODING, KEY_ID, EncryptionCodec, KeyRing, KeyUnavailableError
from core.settings import Settings
from store.db import make_engine, make_session_factory
from store.key_store import FirmKeyStore
from store.repositories import firms
from tests.harness import Stack

CLIENT = "Marguerite Okonkwo-Lindqvist"
INPUTS = {
    "court": "SDNY",
    "case_number": "1:24-cv-05567",
    "document_type": "motion",
    "instructions": f"Client {CLIENT}, see the treating physician's notes.",
}


async def _sealed_payloads(stack: Stack, engagement_id: str) -> list[Payload]:
    """Every encrypted payload of the engagement's history (inputs, activity calls, results)."""
    handle = stack.temporal.get_workflow_handle(await stack.workflow_id(engagement_id))
    history = json.loads((await handle.fetch_history()).to_json())
    found: list[Payload] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            metadata = node.get("metadata", {})
            if metadata.get("encoding") == base64.b64encode(ENCODING).decode():
                found.append(
                    Payload(
                        metadata={k: base64.b64decode(v) for k, v in metadata.items()},
                        data=base64.b64decode(node["data"]),
                    )
                )
                return
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(history)
    return found


def _key_ids(payloads: list[Payload]) -> set[str]:
    return {p.metadata[KEY_ID].decode() for p in payloads}


def _as_json(payload: Payload) -> dict[str, object]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def _fresh_store(stack: Stack) -> tuple[FirmKeyStore, Any]:
    """A key store as another process would have it: nothing cached."""
    engine = make_engine(stack.settings.database_url, pool_size=1)
    return FirmKeyStore(make_session_factory(engine), stack.settings.codec_master_key), engine


async def test_each_firms_engagements_are_sealed_under_that_firms_own_key(stack: Stack) -> None:
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    engagement_a = stack.user_ids["engagement"]
    engagement_b = await stack.create_engagement("maria", firm_b, inputs=INPUTS)
    await stack.wait_for_task(engagement_b, "draft", "maria")

    sealed_a = await _sealed_payloads(stack, engagement_a)
    sealed_b = await _sealed_payloads(stack, engagement_b)
    # The API's start input and the worker's activity calls alike.
    assert len(sealed_a) >= 3 and len(sealed_b) >= 3
    assert _key_ids(sealed_a) == {f"firm:{firm_a}:1"}
    assert _key_ids(sealed_b) == {f"firm:{firm_b}:1"}

    # The deployment ring alone (a process without the key store) reads neither.
    with pytest.raises(KeyUnavailableError, match="no key store"):
        await EncryptionCodec(KeyRing.development()).decode(sealed_b[:1])

    # A manager reads them through the codec server; that access is in firm B's audit trail.
    decoded = await stack.call(
        "POST", "/codec/decode", "maria", 200, json={"payloads": [_as_json(sealed_b[0])]}
    )
    assert CLIENT in base64.b64decode(decoded.json()["payloads"][0]["data"]).decode()
    trail = (await stack.call("GET", "/audit?limit=1000", "pete", 200)).json()
    reads = [e for e in trail if e["action"] == "payloads.decrypted"]
    assert [(e["object_id"], e["detail"]["payloads"]) for e in reads] == [(firm_b, 1)]
    assert reads[0]["actor_id"] == stack.user_ids["maria"]


async def test_a_rotated_key_seals_new_engagements_and_old_ones_keep_running(stack: Stack) -> None:
    firm_a = stack.user_ids["firm_a"]
    rotated = await stack.call(
        "POST", f"/firms/{firm_a}/data-keys/rotate", "ada", 201, json={"reason": "yearly"}
    )
    assert rotated.json()["key_id"] == f"firm:{firm_a}:2"
    keys = (await stack.call("GET", f"/firms/{firm_a}/data-keys", "ada", 200)).json()
    assert [(k["version"], k["status"]) for k in keys] == [(1, "retired"), (2, "current")]
    assert all(set(k) >= {"key_id"} and "wrapped_key" not in k for k in keys)
    await stack.call(
        "POST", f"/firms/{firm_a}/data-keys/rotate", "maria", 403, json={"reason": "x"}
    )

    newer = await stack.create_engagement("maria", firm_a, inputs=INPUTS)
    await stack.wait_for_task(newer, "draft", "maria")
    (start, *_) = await _sealed_payloads(stack, newer)
    assert start.metadata[KEY_ID].decode() == f"firm:{firm_a}:2"

    # The engagement started under version 1 still moves on (its history needs version 1).
    older = stack.user_ids["engagement"]
    await stack.claim_and_complete(stack.user_ids["task"], "carlos", draft=True)
    await stack.wait_for_task(older, "qc", "maria")


async def test_shredding_a_firms_key_makes_its_histories_unreadable_and_no_one_elses(
    stack: Stack,
) -> None:
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    engagement_a = stack.user_ids["engagement"]
    engagement_b = await stack.create_engagement("maria", firm_b, inputs=INPUTS)
    await stack.wait_for_task(engagement_b, "draft", "maria")
    key_a = f"firm:{firm_a}:1"
    shred = f"/firms/{firm_a}/data-keys/1/shred"

    await stack.call("POST", shred, "ada", 422, json={"reason": "retention", "confirm": "yes"})
    refused = await stack.call("POST", shred, "ada", 409, json={"reason": "r", "confirm": key_a})
    assert "1 open engagement" in refused.json()["detail"]
    await stack.call(
        "POST",
        f"/firms/{firm_a}/data-keys/9/shred",
        "ada",
        404,
        json={"reason": "r", "confirm": key_a},
    )

    await stack.call(
        "POST", f"/engagements/{engagement_a}/cancel", "maria", 200, json={"reason": "closed"}
    )
    await stack.wait_for_status(engagement_a, "cancelled", "maria")
    shredded = await stack.call(
        "POST", shred, "ada", 200, json={"reason": "retention ended", "confirm": key_a}
    )
    assert shredded.json()["status"] == "shredded"
    await stack.call("POST", shred, "ada", 409, json={"reason": "again", "confirm": key_a})

    # Nothing left to unwrap: not in the database, not in a process that starts now.
    store, engine = await _fresh_store(stack)
    try:
        assert await store.key(key_a) is None
        codec = EncryptionCodec(KeyRing.development(), store)
        sealed_a = [
            p
            for p in await _sealed_payloads(stack, engagement_a)
            if p.metadata[KEY_ID].decode() == key_a
        ]
        assert sealed_a
        with pytest.raises(KeyUnavailableError, match="shredded"):
            await codec.decode(sealed_a[:1])
        # Firm B's history is untouched.
        readable_b = await codec.decode((await _sealed_payloads(stack, engagement_b))[:1])
        assert CLIENT.encode() in readable_b[0].data
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT wrapped_key FROM firm_data_keys WHERE key_id = :k"), {"k": key_a}
                )
            ).one()
        assert row.wrapped_key is None
    finally:
        await engine.dispose()

    # The codec server hands the shredded payload back sealed, unread.
    back = await stack.call(
        "POST", "/codec/decode", "maria", 200, json={"payloads": [_as_json(sealed_a[0])]}
    )
    assert back.json()["payloads"][0] == _as_json(sealed_a[0])

    # The firm carries on under a fresh key; the shred is in its audit trail.
    later = await stack.create_engagement("maria", firm_a, inputs=INPUTS)
    await stack.wait_for_task(later, "draft", "maria")
    (start, *_) = await _sealed_payloads(stack, later)
    assert start.metadata[KEY_ID].decode() == f"firm:{firm_a}:2"
    trail = (await stack.call("GET", "/audit?limit=1000", "paula", 200)).json()
    entry = next(e for e in trail if e["action"] == "firm.data_key_shredded")
    assert (entry["object_id"], entry["actor_id"]) == (key_a, stack.user_ids["ada"])
    assert entry["detail"]["reason"] == "retention ended"


def test_a_new_master_key_rewraps_every_firm_key_without_changing_it(database_url: str) -> None:
    settings = Settings(env="test", database_url=database_url)
    new_master = base64.b64encode(os.urandom(32)).decode()

    async def firm_with_key() -> tuple[str, bytes]:
        engine = make_engine(database_url, pool_size=1)
        try:
            async with make_session_factory(engine).begin() as session:
                firm = await firms.create(
                    session,
                    name="Hale & Morrow LLP",
                    timezone="UTC",
                    business_hours={},
                    holidays=[],
                )
            store = FirmKeyStore(make_session_factory(engine), settings.codec_master_key)
            return await store.current(str(firm.id))
        finally:
            await engine.dispose()

    async def read_back(master: str, key_id: str) -> bytes | None:
        engine = make_engine(database_url, pool_size=1)
        try:
            return await FirmKeyStore(make_session_factory(engine), master).key(key_id)
        finally:
            await engine.dispose()

    key_id, key = asyncio.run(firm_with_key())
    env = {"DOCKETFLOW_DATABASE_URL": database_url, "DOCKETFLOW_ENV": "test"}
    runner = CliRunner()
    bad = runner.invoke(cli, ["keys", "rewrap", "--new-master", "c2hvcnQ="], env=env)
    assert bad.exit_code == 2 and "32 random bytes" in bad.output
    done = runner.invoke(cli, ["keys", "rewrap", "--new-master", new_master], env=env)
    assert done.exit_code == 0, done.output
    assert "1 firm data key(s) re-wrapped" in done.output
    assert asyncio.run(read_back(new_master, key_id)) == key  # same key, new wrapping
    with pytest.raises(KeyUnavailableError, match="does not unwrap"):
        asyncio.run(read_back(settings.codec_master_key, key_id))
