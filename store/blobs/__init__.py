"""Where sealed document bytes live: one interface, a local-filesystem and an S3 backend.

Blob stores see only ciphertext (store/document_vault.py seals before writing and opens after
reading) and addresses of the form `<firm uuid>/<sha256>[.<suffix>]`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

_ADDRESS = re.compile(
    r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}/[0-9a-f]{64}(?:\.[a-z]{1,10})?$"
)


class BlobMissingError(Exception):
    """No blob is stored at that address."""


def checked_address(address: str) -> str:
    """Addresses come from our own rows; still, never let one name a path outside the store."""
    if not _ADDRESS.match(address):
        raise ValueError(f"not a blob address: {address!r}")
    return address


class BlobStore(Protocol):
    async def put(self, address: str, chunks: AsyncIterable[bytes]) -> None:
        """Store `chunks` at `address`, atomically (a reader sees the old blob or the new one)."""
        ...

    def get(self, address: str) -> AsyncIterator[bytes]:
        """The blob's bytes in pieces; raises BlobMissingError when there is none."""
        ...

    async def exists(self, address: str) -> bool: ...

    async def delete(self, address: str) -> None:
        """Remove the blob (no error when it is already gone)."""
        ...
