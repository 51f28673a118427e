"""Client data never reaches Temporal's history, ids or logs in clear; keys rotate; deleting a
key makes its histories unreadable (crypto-shredding)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import structlog
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.client import WorkflowHistory
from temporalio.exceptions import ApplicationError

from core.codec import EncryptionCodec, KeyRing, KeyUnavailableError, new_data_key
from core.logging import configure_logging
from core.settings import DEV_CODEC_MASTER_KEY, Settings
from core.temporal import data_converter, key_ring
from domain.enums import Role
from tests.harness import MOTION_INPUTS, Stack, running_stack

CLIENT = "Eleanor Vasquez-Whitfield"
INPUTS = {**MOTION_INPUTS, "instructions": f"Client {CLIENT} (DOB 1971-03-09), see chart notes."}


def _keyed(settings: Settings, *key_ids: str) -> Settings:
    keys = {kid: new_data_key(DEV_CODEC_MASTER_KEY, kid) for kid in key_ids}
    return settings.model_copy(update={"codec_keys": keys, "codec_key_id": key_ids[-1]})


@pytest.fixture
async def keyed_stack(settings: Settings) -> AsyncIterator[Stack]:
    """A stack whose payloads are encrypted under a configured data key `k-2026a`."""
    async with running_stack(_keyed(settings, "k-2026a")) as running:
        await running.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        await running.add_user("ada", Role.ADMIN)
        running.user_ids["firm"] = await running.create_firm("maria")
        await running.add_user("paula", Role.PARTNER, firm=running.user_ids["firm"])
        yield running


async def _history(stack: Stack, engagement_id: str) -> WorkflowHistory:
    handle = stack.temporal.get_workflow_handle(await stack.workflow_id(engagement_id))
    return await handle.fetch_history()


def _payloads(history: WorkflowHistory) -> list[Payload]:
    started = history.events[0].workflow_execution_started_event_attributes
    return list(started.input.payloads)


async def test_the_raw_history_never_holds_the_client_name_the_api_shows(
    keyed_stack: Stack,
) -> None:
    stack = keyed_stack
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"], inputs=INPUTS)
    await stack.wait_for_task(engagement_id, "draft", "maria")
    shown = await stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)
    assert CLIENT in shown.json()["inputs"]["instructions"]

    history = await _history(stack, engagement_id)
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert len(history.events) > 5
    assert CLIENT.encode() not in raw and b"Vasquez" not in raw
    assert b"Vasquez" not in history.to_json().encode()
    # The firm's key id travels (the engagement's payloads use its firm's key), the key does not.
    assert f"firm:{stack.user_ids['firm']}:1".encode() in raw
    assert DEV_CODEC_MASTER_KEY.encode() not in raw
    (payload,) = _payloads(history)
    assert payload.metadata["encoding"] == b"binary/encrypted"
    description = await stack.temporal.get_workflow_handle(
        await stack.workflow_id(engagement_id)
    ).describe()
    # Ids, search attributes and memo are not encrypted by the codec: they must stay free of it.
    assert "Vasquez" not in str(description.raw_description)


async def test_deleting_a_deployment_key_makes_what_it_sealed_unreadable() -> None:
    ring = key_ring(_keyed(Settings(env="test"), "k-2026a"))
    (payload,) = await EncryptionCodec(ring).encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=f'"{CLIENT}"'.encode())]
    )
    readable = await EncryptionCodec(ring).decode([payload])
    assert CLIENT.encode() in readable[0].data
    shredded = EncryptionCodec(ring.without("k-2026a"))
    with pytest.raises(KeyUnavailableError, match="k-2026a"):
        await shredded.decode([payload])


async def test_rotated_keys_encrypt_new_payloads_and_still_read_old_ones() -> None:
    before = _keyed(Settings(env="test"), "k1")
    after = before.model_copy(
        update={
            "codec_keys": {**before.codec_keys, "k2": new_data_key(DEV_CODEC_MASTER_KEY, "k2")},
            "codec_key_id": "k2",
        }
    )
    old = await data_converter(before).encode([{"client": CLIENT}])
    new = await data_converter(after).encode([{"client": CLIENT}])
    assert old[0].metadata["encryption-key-id"] == b"k1"
    assert new[0].metadata["encryption-key-id"] == b"k2"
    assert await data_converter(after).decode(old) == [{"client": CLIENT}]
    only_new = after.model_copy(update={"codec_keys": {"k2": after.codec_keys["k2"]}})
    with pytest.raises(KeyUnavailableError):
        await data_converter(only_new).decode(old)


async def test_failure_messages_are_encrypted_too() -> None:
    converter = data_converter()
    failure = Failure()
    await converter.encode_failure(ApplicationError(f"no records for {CLIENT}"), failure)
    assert CLIENT.encode() not in failure.SerializeToString()
    assert CLIENT in str(await converter.decode_failure(failure))


async def test_a_tampered_payload_is_refused() -> None:
    codec = EncryptionCodec(KeyRing.development())
    sealed = await codec.encrypt(Payload(metadata={"encoding": b"json/plain"}, data=b'"secret"'))
    sealed.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(KeyUnavailableError):
        await codec.decrypt(sealed)


def _as_json(payload: Payload) -> dict[str, object]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def test_the_codec_endpoint_decrypts_for_managers_only(keyed_stack: Stack) -> None:
    stack = keyed_stack
    engagement_id = await stack.create_engagement("maria", stack.user_ids["firm"], inputs=INPUTS)
    (payload,) = _payloads(await _history(stack, engagement_id))
    body = {"payloads": [_as_json(payload)]}
    for user in ("maria", "ada"):
        decoded = await stack.call("POST", "/codec/decode", user, 200, json=body)
        data = base64.b64decode(decoded.json()["payloads"][0]["data"])
        assert CLIENT.encode() in data
    await stack.call("POST", "/codec/decode", "carlos", 403, json=body)
    await stack.call("POST", "/codec/decode", "paula", 403, json=body)
    anonymous = await stack.http.post("/api/v1/codec/decode", json=body)
    assert anonymous.status_code == 401

    plain = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "IngiCg=="}]}
    encoded = await stack.call("POST", "/codec/encode", "maria", 200, json=plain)
    round_trip = await stack.call("POST", "/codec/decode", "maria", 200, json=encoded.json())
    assert round_trip.json() == plain
    await stack.call(
        "POST", "/codec/decode", "maria", 422, json={"payloads": [{"data": "%%not base64"}]}
    )


async def test_the_codec_endpoint_allows_the_temporal_ui_origin_only(keyed_stack: Stack) -> None:
    stack = keyed_stack
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    ui = stack.settings.temporal_ui_url.rstrip("/")
    allowed = await stack.http.options("/api/v1/codec/decode", headers={**preflight, "Origin": ui})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ui
    other = await stack.http.options(
        "/api/v1/codec/decode", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers
    elsewhere = await stack.http.options("/api/v1/me", headers={**preflight, "Origin": ui})
    assert "access-control-allow-origin" not in elsewhere.headers


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)


@pytest.mark.usefixtures("restored_logging")
def test_logs_never_carry_client_data_or_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(env="test", log_json=True))
    log = structlog.get_logger("test.redaction")
    log.info(
        "engagement.created",
        engagement_id="e-1",
        title=f"{CLIENT} v. Acme",
        inputs={"client_name": CLIENT},
        detail={"note": CLIENT, "outcome": "done"},
        password="hunter2-hunter2",
    )
    logging.getLogger("uvicorn").info("plain stdlib line")
    line = capsys.readouterr().err
    assert "engagement.created" in line and "e-1" in line and "done" in line
    assert CLIENT not in line and "Vasquez" not in line and "hunter2" not in line
    assert "[redacted]" in line


def test_a_logged_exception_carries_its_traceback_in_the_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(env="test", log_json=True))
    try:
        raise ConnectionError("database went away")
    except ConnectionError:
        structlog.get_logger("test.traceback").exception("audit_chain.failed")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "audit_chain.failed"
    assert "Traceback" in line["exception"] and "database went away" in line["exception"]
