"""Documents at rest: the chunked AES-256-GCM format round-trips any size, and refuses every
alteration (a flipped byte, a dropped or reordered chunk, a header moved to another address)."""

from __future__ import annotations

import os

import pytest

from core.document_crypto import Header, Opener, SealedDocumentError, Sealer

KEY = bytes(range(32))
ADDRESS = "00000000-0000-4000-8000-000000000001/" + "ab" * 32
CHUNK = 64  # small chunks, so a few hundred bytes cross many chunk boundaries


def seal(plain: bytes, pieces: int = 7, address: str = ADDRESS) -> bytes:
    sealer = Sealer("firm:x:1", KEY, address, chunk_size=CHUNK)
    out = [sealer.header()]
    step = max(1, len(plain) // pieces)
    for at in range(0, len(plain), step):
        out.append(sealer.update(plain[at : at + step]))
    out.append(sealer.finish())
    return b"".join(out)


def open_sealed(sealed: bytes, key: bytes = KEY, piece: int = 13) -> bytes:
    parsed = Header.parse(sealed)
    assert parsed is not None
    header, length = parsed
    opener = Opener(header, key)
    body = sealed[length:]
    out = [opener.update(body[at : at + piece]) for at in range(0, len(body), piece)]
    out.append(opener.finish())
    return b"".join(out)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 7])
def test_any_size_round_trips_in_any_pieces(size: int) -> None:
    plain = os.urandom(size)
    sealed = seal(plain)
    assert size < 16 or plain not in sealed
    assert open_sealed(sealed) == plain
    assert open_sealed(sealed, piece=1) == plain


def test_a_flipped_byte_anywhere_is_refused() -> None:
    sealed = bytearray(seal(os.urandom(4 * CHUNK)))
    for at in (len(sealed) // 2, len(sealed) - 1, 40):
        altered = bytearray(sealed)
        altered[at] ^= 0x01
        with pytest.raises(SealedDocumentError):
            open_sealed(bytes(altered))


def test_a_truncated_document_is_refused_not_read_short() -> None:
    plain = os.urandom(4 * CHUNK)
    sealed = seal(plain)
    whole_chunk = CHUNK + 16
    with pytest.raises(SealedDocumentError):
        open_sealed(sealed[: len(sealed) - whole_chunk])  # the last chunk dropped


def test_a_header_cannot_be_moved_onto_another_address() -> None:
    sealed = seal(b"x" * 300)
    parsed = Header.parse(sealed)
    assert parsed is not None
    header, length = parsed
    other = Header(header.key_id, ADDRESS[:-2] + "cd", header.nonce_prefix, header.chunk_size)
    with pytest.raises(SealedDocumentError):
        open_sealed(other.encode() + sealed[length:])


def test_the_wrong_key_opens_nothing() -> None:
    with pytest.raises(SealedDocumentError):
        open_sealed(seal(b"privileged and confidential"), key=bytes(32))
