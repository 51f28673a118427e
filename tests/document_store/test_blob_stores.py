"""Both blob backends behind the one interface, with the firms' real data keys from PostgreSQL:
the local filesystem, and S3 against a real S3-compatible server process (moto's standalone
server, started here; MinIO plays that part in docker-compose.yml)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from core.document_crypto import CHUNK
from core.settings import Settings
from store.blobs import BlobMissingError, BlobStore
from store.blobs.local import LocalBlobStore
from store.blobs.s3 import S3BlobStore
from store.db import make_engine, make_session_factory
from store.document_vault import DocumentUnreadableError, DocumentVault, address_of
from store.key_store import firm_key_store
from store.repositories import firm_keys, firms

BUCKET = "docketflow-documents"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert server, "moto[server] is a dev dependency"
    process = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(endpoint, timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(autouse=True)
def _aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _s3(endpoint: str) -> S3BlobStore:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    if BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
        client.create_bucket(Bucket=BUCKET)
    return S3BlobStore(BUCKET, client=client, part_size=5 << 20)


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "documents")
    return _s3(request.getfixturevalue("s3_endpoint"))


@pytest.fixture
async def vault_and_firm(
    blobs: BlobStore, settings: Settings
) -> AsyncIterator[tuple[DocumentVault, str]]:
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    async with sessions.begin() as session:
        firm = await firms.create(
            session,
            name=f"Firm {os.urandom(4).hex()}",
            timezone="UTC",
            business_hours={},
            holidays=[],
        )
    yield DocumentVault(blobs, firm_key_store(settings, sessions)), str(firm.id)
    await engine.dispose()


async def _stream(data: bytes, piece: int = 300_000) -> AsyncIterator[bytes]:
    for at in range(0, len(data), piece):
        yield data[at : at + piece]


async def test_a_multi_part_document_round_trips_sealed(
    vault_and_firm: tuple[DocumentVault, str], blobs: BlobStore
) -> None:
    vault, firm = vault_and_firm
    plain = os.urandom(3 * CHUNK) + b"SSN 123-45-6789" + os.urandom(9 * CHUNK)  # 12 MiB: 3 parts
    address = address_of(firm, "ab" * 32)
    await vault.seal(address, _stream(plain))
    raw = b"".join([piece async for piece in blobs.get(address)])
    assert b"123-45-6789" not in raw and len(raw) > len(plain)
    assert await vault.read_bytes(address) == plain
    assert await blobs.exists(address)
    await blobs.delete(address)
    assert not await blobs.exists(address)
    with pytest.raises(BlobMissingError):
        await vault.read_bytes(address)


async def test_bytes_copied_to_another_firm_open_nowhere(
    vault_and_firm: tuple[DocumentVault, str], blobs: BlobStore, settings: Settings
) -> None:
    vault, firm = vault_and_firm
    mine = address_of(firm, "cd" * 32)
    await vault.seal_bytes(mine, b"attorney work product")
    other = address_of("00000000-0000-4000-8000-000000000009", "cd" * 32)
    await blobs.put(other, blobs.get(mine))
    with pytest.raises(DocumentUnreadableError):
        await vault.read_bytes(other)


async def test_shredding_the_firm_key_makes_its_documents_unreadable(
    vault_and_firm: tuple[DocumentVault, str], settings: Settings
) -> None:
    vault, firm = vault_and_firm
    address = address_of(firm, "ef" * 32)
    await vault.seal_bytes(address, b"medical records of the plaintiff")
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    async with sessions.begin() as session:
        for key in await firm_keys.list_for_firm(session, uuid.UUID(firm)):
            await firm_keys.shred(session, key)
    fresh = DocumentVault(vault.blobs, firm_key_store(settings, sessions))  # no cached key
    try:
        with pytest.raises(DocumentUnreadableError, match="shredded"):
            await fresh.read_bytes(address)
    finally:
        await engine.dispose()
