"""Development defaults fail closed (issue 14, item 3): without an explicit dev or test mode, no
process starts with the public development secret or codec key; in prod the codec refuses
plaintext payloads; a payload's associated data binds its workflow as well as its key id."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import WorkflowSerializationContext
from typer.testing import CliRunner

from cli.main import app as cli
from core.codec import ENCODING, KEY_ID, EncryptionCodec, KeyRing, KeyUnavailableError
from core.settings import STACK_FILE, Settings, load_settings

FIRM_A = "6ace5618-ec32-4a0b-8444-505c47c7fea3"
FIRM_B = "0f0e0d0c-0b0a-4909-8807-060504030201"


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process started with no DOCKETFLOW_* variables at all (a forgotten deployment)."""
    for key in [key for key in os.environ if key.startswith("DOCKETFLOW_")]:
        monkeypatch.delenv(key)


@pytest.mark.usefixtures("bare_environment")
def test_settings_without_a_mode_refuse_the_development_secret() -> None:
    with pytest.raises(ValueError, match="DOCKETFLOW_SECRET_KEY"):
        Settings()


@pytest.mark.usefixtures("bare_environment")
def test_settings_without_a_mode_refuse_the_development_codec_key() -> None:
    with pytest.raises(ValueError, match="DOCKETFLOW_CODEC_MASTER_KEY"):
        Settings(secret_key="s" * 48)


@pytest.mark.usefixtures("bare_environment")
@pytest.mark.parametrize("mode", ["dev", "test"])
def test_an_explicit_dev_or_test_mode_accepts_the_development_keys(mode: str) -> None:
    assert Settings(env=mode).env == mode


@pytest.mark.usefixtures("bare_environment")
def test_a_cli_command_against_a_database_refuses_to_start(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["users", "list"], env={"HOME": str(tmp_path)})
    assert result.exit_code != 0
    assert "DOCKETFLOW_SECRET_KEY" in str(result.exception) + result.output


@pytest.mark.usefixtures("bare_environment")
def test_a_dev_stack_home_is_dev_mode(tmp_path: Path) -> None:
    # `docketflow dev` records its mode with its ports, so `--home` commands reach it.
    (tmp_path / STACK_FILE).write_text(json.dumps({"env": "dev", "temporal_address": "x:1"}))
    settings = load_settings(tmp_path)
    assert (settings.env, settings.temporal_address) == ("dev", "x:1")


@pytest.mark.usefixtures("bare_environment")
def test_the_environment_wins_over_a_dev_stack_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / STACK_FILE).write_text(json.dumps({"env": "dev", "temporal_address": "x:1"}))
    monkeypatch.setenv("DOCKETFLOW_TEMPORAL_ADDRESS", "y:2")
    assert load_settings(tmp_path).temporal_address == "y:2"


def test_the_image_runs_in_prod_mode() -> None:
    dockerfile = (Path(__file__).parents[2] / "Dockerfile").read_text()
    assert "DOCKETFLOW_ENV=prod" in dockerfile


def _context(firm: str, engagement: str = "1b2c3d4e-0000-4000-8000-000000000001") -> object:
    return WorkflowSerializationContext(
        namespace="default", workflow_id=f"firm-{firm}.engagement-{engagement}"
    )


async def test_a_prod_codec_refuses_a_plaintext_payload() -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"ssn": "123-45-6789"}')
    assert await EncryptionCodec(KeyRing.development()).decode([plain]) == [plain]
    with pytest.raises(KeyUnavailableError, match="plaintext"):
        await EncryptionCodec(KeyRing.development(), allow_plaintext=False).decode([plain])


async def test_a_payload_moved_into_another_firms_workflow_is_refused() -> None:
    codec = EncryptionCodec(KeyRing.development())
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"note": "privileged"}')
    (sealed,) = await codec.with_context(_context(FIRM_A)).encode([plain])  # type: ignore[arg-type]
    same = await codec.with_context(_context(FIRM_A)).decode([sealed])  # type: ignore[arg-type]
    assert same == [plain]
    with pytest.raises(KeyUnavailableError, match="workflow"):
        await codec.with_context(_context(FIRM_B)).decode([sealed])  # type: ignore[arg-type]
    # The bound workflow cannot be edited in the metadata either: it is associated data.
    forged = Payload()
    forged.CopyFrom(sealed)
    forged.metadata["encryption-workflow"] = f"firm-{FIRM_B}.engagement-x".encode()
    with pytest.raises(KeyUnavailableError):
        await codec.decode([forged])


async def test_a_payload_sealed_before_the_versioned_format_still_decrypts() -> None:
    ring = KeyRing.development()
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"court": "SDNY"}')
    nonce = os.urandom(12)
    # Format 1: the key id alone as associated data, no format marker.
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(
        nonce, plain.SerializeToString(), ring.current_id.encode()
    )
    legacy = Payload(
        metadata={"encoding": ENCODING, KEY_ID: ring.current_id.encode()}, data=nonce + sealed
    )
    codec = EncryptionCodec(ring, allow_plaintext=False)
    assert await codec.with_context(_context(FIRM_A)).decode([legacy]) == [plain]  # type: ignore[arg-type]
