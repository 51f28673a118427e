"""Recorded histories are kept under the public development key, so replay tests can read them.

A live test encrypts engagement payloads under its firm's key, which lives in a database that is
dropped when the test ends. Before a history is saved, every encrypted payload in its JSON is
decrypted with the live codec and sealed again under `KeyRing.development()`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from core.codec import ENCODING, EncryptionCodec, KeyRing

_ENCRYPTED = base64.b64encode(ENCODING).decode()


async def reencrypt_for_replay(history_json: str, live: DataConverter) -> str:
    live_codec = live.payload_codec
    assert isinstance(live_codec, EncryptionCodec)
    replay_codec = EncryptionCodec(KeyRing.development())

    async def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("metadata", {}).get("encoding") == _ENCRYPTED and "data" in node:
                await _reseal(node, live_codec, replay_codec)
                return
            for value in node.values():
                await visit(value)
        elif isinstance(node, list):
            for value in node:
                await visit(value)

    history = json.loads(history_json)
    await visit(history)
    return json.dumps(history)


async def _reseal(node: dict[str, Any], live: EncryptionCodec, replay: EncryptionCodec) -> None:
    sealed = Payload(
        metadata={k: base64.b64decode(v) for k, v in node["metadata"].items()},
        data=base64.b64decode(node["data"]),
    )
    resealed = await replay.encrypt(await live.decrypt(sealed))
    node["metadata"] = {k: base64.b64encode(v).decode() for k, v in resealed.metadata.items()}
    node["data"] = base64.b64encode(resealed.data).decode()
