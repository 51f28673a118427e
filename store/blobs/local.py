"""Blobs as files under the stack's home (`<home>/documents`): the embedded default.

Each blob is written to a private temporary file, flushed to disk and renamed into place, so a
crash mid-upload leaves no half blob under its address.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

from store.blobs import BlobMissingError, checked_address

_READ = 1 << 20


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._incoming = root / ".incoming"
        self._incoming.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(root, 0o700)

    def _path(self, address: str) -> Path:
        return self._root / checked_address(address)

    async def put(self, address: str, chunks: AsyncIterable[bytes]) -> None:
        final = self._path(address)
        partial = self._incoming / uuid.uuid4().hex
        handle = await asyncio.to_thread(open, partial, "wb")
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_flush, handle)
        except BaseException:
            handle.close()
            partial.unlink(missing_ok=True)
            raise
        handle.close()
        await asyncio.to_thread(final.parent.mkdir, mode=0o700, exist_ok=True)
        await asyncio.to_thread(os.replace, partial, final)

    async def get(self, address: str) -> AsyncIterator[bytes]:
        path = self._path(address)
        try:
            handle = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError:
            raise BlobMissingError(address) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, _READ):
                yield chunk
        finally:
            handle.close()

    async def exists(self, address: str) -> bool:
        return await asyncio.to_thread(self._path(address).exists)

    async def delete(self, address: str) -> None:
        await asyncio.to_thread(self._path(address).unlink, missing_ok=True)


def _flush(handle: object) -> None:
    handle.flush()  # type: ignore[attr-defined]
    os.fsync(handle.fileno())  # type: ignore[attr-defined]
