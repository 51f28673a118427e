"""Documents at rest: AES-256-GCM in chunks, so a 200 MB file never sits whole in memory.

A sealed document is a header and a run of chunks. The header names the data key (a firm's key
id, never the key) and the document's address (firm and SHA-256 of the plaintext); every chunk is
sealed with a nonce made of a random per-document prefix and the chunk's index, and its associated
data is the header, the index and whether it is the last chunk. So a chunk cannot be moved within a
document or between documents, a header cannot be swapped onto another document's chunks, and a
truncated document fails at its end instead of reading as a shorter one (the "STREAM"
construction of Hoang, Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption and its
Nonce-Reuse Misuse-Resistance", CRYPTO 2015).

Sans I/O: `Sealer` and `Opener` turn bytes into bytes, the blob stores move them.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"DFDOC1\n"
CHUNK = 1 << 20  # plaintext bytes per chunk: memory per stream stays ~2 MiB
_TAG = 16
_PREFIX = 8  # random nonce prefix per document; the 4-byte chunk index completes the 96 bits
_MAX_CHUNKS = 2**32 - 1


class SealedDocumentError(Exception):
    """The sealed bytes are not a document, were altered or truncated, or the key is wrong."""


@dataclass(frozen=True)
class Header:
    key_id: str
    address: str
    nonce_prefix: bytes
    chunk_size: int

    def encode(self) -> bytes:
        key_id, address = self.key_id.encode(), self.address.encode()
        return b"".join(
            (
                MAGIC,
                struct.pack(">H", len(key_id)),
                key_id,
                struct.pack(">H", len(address)),
                address,
                self.nonce_prefix,
                struct.pack(">I", self.chunk_size),
            )
        )

    @classmethod
    def parse(cls, data: bytes) -> tuple[Header, int] | None:
        """The header at the start of `data` and its length, or None if `data` is too short."""
        if len(data) < len(MAGIC):
            return None
        if not data.startswith(MAGIC):
            raise SealedDocumentError("not a sealed document")
        at = len(MAGIC)
        fields: list[bytes] = []
        for _ in range(2):
            if len(data) < at + 2:
                return None
            (length,) = struct.unpack_from(">H", data, at)
            if len(data) < at + 2 + length:
                return None
            fields.append(data[at + 2 : at + 2 + length])
            at += 2 + length
        if len(data) < at + _PREFIX + 4:
            return None
        prefix = data[at : at + _PREFIX]
        (chunk_size,) = struct.unpack_from(">I", data, at + _PREFIX)
        if not 0 < chunk_size <= 64 * CHUNK:
            raise SealedDocumentError("implausible chunk size")
        header = cls(fields[0].decode(), fields[1].decode(), prefix, chunk_size)
        return header, at + _PREFIX + 4


def _nonce(header: Header, index: int) -> bytes:
    if index > _MAX_CHUNKS:
        raise SealedDocumentError("document too large for one nonce prefix")
    return header.nonce_prefix + struct.pack(">I", index)


def _aad(header_bytes: bytes, index: int, last: bool) -> bytes:
    return header_bytes + struct.pack(">IB", index, 1 if last else 0)


class Sealer:
    """Plaintext in, sealed bytes out: `header()`, then `update()` per piece, then `finish()`."""

    def __init__(self, key_id: str, key: bytes, address: str, chunk_size: int = CHUNK) -> None:
        self._aead = AESGCM(key)
        self._header = Header(key_id, address, os.urandom(_PREFIX), chunk_size)
        self._header_bytes = self._header.encode()
        self._pending = bytearray()
        self._index = 0

    def header(self) -> bytes:
        return self._header_bytes

    def update(self, data: bytes) -> bytes:
        self._pending += data
        out = bytearray()
        size = self._header.chunk_size
        # Keep at least one byte back: only `finish` knows which chunk is the last.
        while len(self._pending) > size:
            out += self._seal(bytes(self._pending[:size]), last=False)
            del self._pending[:size]
        return bytes(out)

    def finish(self) -> bytes:
        sealed = self._seal(bytes(self._pending), last=True)
        self._pending.clear()
        return sealed

    def _seal(self, chunk: bytes, last: bool) -> bytes:
        nonce = _nonce(self._header, self._index)
        sealed = self._aead.encrypt(nonce, chunk, _aad(self._header_bytes, self._index, last))
        self._index += 1
        return sealed


class Opener:
    """Sealed bytes (after the header) in, plaintext out; `finish()` refuses a truncated stream."""

    def __init__(self, header: Header, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._header = header
        self._header_bytes = header.encode()
        self._pending = bytearray()
        self._index = 0
        self._done = False

    def update(self, data: bytes) -> bytes:
        if self._done and data:
            raise SealedDocumentError("bytes after the last chunk")
        self._pending += data
        out = bytearray()
        sealed_size = self._header.chunk_size + _TAG
        while len(self._pending) > sealed_size:
            out += self._open(bytes(self._pending[:sealed_size]), last=False)
            del self._pending[:sealed_size]
        return bytes(out)

    def finish(self) -> bytes:
        if self._done:
            return b""
        plain = self._open(bytes(self._pending), last=True)
        self._pending.clear()
        self._done = True
        return plain

    def _open(self, sealed: bytes, last: bool) -> bytes:
        nonce = _nonce(self._header, self._index)
        try:
            plain = self._aead.decrypt(nonce, sealed, _aad(self._header_bytes, self._index, last))
        except (InvalidTag, ValueError) as error:
            raise SealedDocumentError(
                f"chunk {self._index} does not authenticate (altered, truncated or wrong key)"
            ) from error
        self._index += 1
        return plain
