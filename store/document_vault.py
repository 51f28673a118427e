"""Sealing and opening document bytes with the firm's data key, over any blob store.

A document version's plaintext is sealed (core/document_crypto.py) under its firm's current data
key, the same per-firm keys as the Temporal payload codec, and stored at `<firm>/<sha256>`. Opening
reads the key id from the sealed header, so documents written before a key rotation still open;
shredding a firm's key version (store/repositories/firm_keys.py) leaves its documents as ciphertext
nobody can read, backups included. Plaintext exists only in the caller's memory, a chunk at a time,
or in a private temporary file the caller owns.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from pathlib import Path

from core.codec import FirmKeySource, firm_of_key
from core.document_crypto import CHUNK, Header, Opener, SealedDocumentError, Sealer
from core.settings import Settings
from store.blobs import BlobMissingError, BlobStore, checked_address
from store.blobs.local import LocalBlobStore
from store.blobs.s3 import S3BlobStore


class DocumentUnreadableError(Exception):
    """The bytes exist but cannot be opened: the firm's key was shredded, or they were altered."""


def address_of(firm_id: str, sha256: str, suffix: str = "") -> str:
    return checked_address(f"{firm_id}/{sha256}{'.' + suffix if suffix else ''}")


def firm_of_address(address: str) -> str:
    return checked_address(address).split("/", 1)[0]


class DocumentVault:
    def __init__(self, blobs: BlobStore, keys: FirmKeySource) -> None:
        self.blobs = blobs
        self._keys = keys

    async def seal(self, address: str, plaintext: AsyncIterable[bytes]) -> None:
        """Seal `plaintext` under the address's firm's current key and store it there."""
        key_id, key = await self._keys.current(firm_of_address(address))
        sealer = Sealer(key_id, key, address)

        async def sealed() -> AsyncIterator[bytes]:
            yield sealer.header()
            async for piece in plaintext:
                if out := sealer.update(piece):
                    yield out
            yield sealer.finish()

        await self.blobs.put(address, sealed())

    async def seal_file(self, address: str, path: Path) -> None:
        await self.seal(address, _read_file(path))

    async def seal_bytes(self, address: str, data: bytes) -> None:
        await self.seal(address, _pieces([data]))

    async def open(self, address: str) -> AsyncIterator[bytes]:
        """The plaintext, a chunk at a time; authenticated chunk by chunk, truncation refused."""
        opener: Opener | None = None
        buffered = b""
        async for piece in self.blobs.get(address):
            if opener is None:
                buffered += piece
                parsed = _parse_header(buffered)
                if parsed is None:
                    continue
                header, length = parsed
                opener = Opener(header, await self._key_for(address, header))
                piece, buffered = buffered[length:], b""
            out = _open_piece(opener, piece)
            if out:
                yield out
        if opener is None:
            raise DocumentUnreadableError(f"{address}: not a sealed document")
        yield _finish(opener)

    async def read_bytes(self, address: str) -> bytes:
        return b"".join([piece async for piece in self.open(address)])

    async def open_to_file(self, address: str, path: Path) -> str:
        """Write the plaintext to `path` (the caller's private temporary file); its SHA-256."""
        digest = hashlib.sha256()
        handle = await asyncio.to_thread(open, path, "wb")
        try:
            async for piece in self.open(address):
                digest.update(piece)
                await asyncio.to_thread(handle.write, piece)
        finally:
            handle.close()
        return digest.hexdigest()

    async def _key_for(self, address: str, header: Header) -> bytes:
        # The header is authenticated by every chunk, but check it names this address and this
        # firm's key before using it: a blob copied to another firm's address opens nowhere.
        if header.address != address or firm_of_key(header.key_id) != firm_of_address(address):
            raise DocumentUnreadableError(f"{address}: sealed for another address or firm")
        key = await self._keys.key(header.key_id)
        if key is None:
            raise DocumentUnreadableError(f"{address}: the data key {header.key_id} was shredded")
        return key


def _parse_header(data: bytes) -> tuple[Header, int] | None:
    try:
        return Header.parse(data)
    except SealedDocumentError as error:
        raise DocumentUnreadableError(str(error)) from error


def _open_piece(opener: Opener, piece: bytes) -> bytes:
    try:
        return opener.update(piece)
    except SealedDocumentError as error:
        raise DocumentUnreadableError(str(error)) from error


def _finish(opener: Opener) -> bytes:
    try:
        return opener.finish()
    except SealedDocumentError as error:
        raise DocumentUnreadableError(str(error)) from error


async def _pieces(items: Iterable[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item


async def _read_file(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        while piece := await asyncio.to_thread(handle.read, CHUNK):
            yield piece
    finally:
        handle.close()


def blob_store(settings: Settings) -> BlobStore:
    if settings.document_store == "s3":
        if not settings.s3_bucket:
            raise ValueError("DOCKETFLOW_S3_BUCKET is required with DOCKETFLOW_DOCUMENT_STORE=s3")
        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
        )
    return LocalBlobStore(settings.documents_root())


__all__ = ["BlobMissingError", "DocumentUnreadableError", "DocumentVault", "blob_store"]
