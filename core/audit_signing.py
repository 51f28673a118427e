"""Signed audit chain heads: Ed25519 over (seq, entry id, hash, time, key id).

The chain alone cannot catch someone who may write the audit table and recomputes every hash
after an edit (the schema's owner, a superuser). A head signed with a key the database never
holds can: a rewritten entry changes the hash at every later place, so each head signed before
the rewrite stops matching, and no one without the private key can sign a new one. Ed25519 so
that an auditor verifies with the public key alone (RFC 8032).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOMAIN = b"docketflow-audit-head-v1"


@dataclass(frozen=True)
class SignedHead:
    """The chain's newest entry at `signed_at`: its place `seq`, id and hash."""

    seq: int
    entry_id: int
    hash: str
    signed_at: datetime
    key_id: str
    signature: str  # base64url of the 64-byte Ed25519 signature


def head_message(seq: int, entry_id: int, entry_hash: str, signed_at: datetime, kid: str) -> bytes:
    # NUL-separated fields after a domain tag: no field can shift into another, and a signature
    # made for anything else cannot pass as a head's.
    at = signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return b"\x00".join([DOMAIN, str(seq).encode(), str(entry_id).encode(), entry_hash.encode(),
                         at.encode(), kid.encode()])  # fmt: skip


def public_key_text(private_seed_b64: str) -> str:
    """The base64 public key of a private key given as settings hold it."""
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_seed_b64))
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def new_private_key() -> str:
    """A new private key (base64 of its 32-byte seed), for DOCKETFLOW_AUDIT_SIGNING_KEY."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    seed = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(seed).decode()


@dataclass(frozen=True)
class HeadSigner:
    key_id: str
    private_seed_b64: str

    def sign(self, seq: int, entry_id: int, entry_hash: str, signed_at: datetime) -> SignedHead:
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(self.private_seed_b64))
        message = head_message(seq, entry_id, entry_hash, signed_at, self.key_id)
        signature = base64.urlsafe_b64encode(key.sign(message)).decode()
        return SignedHead(seq, entry_id, entry_hash, signed_at, self.key_id, signature)


@dataclass(frozen=True)
class HeadVerifier:
    """Public keys by key id: the current signer's and any retired ones."""

    public_keys: dict[str, str]

    def check(self, head: SignedHead) -> str | None:
        """None when the signature holds; otherwise why not."""
        public = self.public_keys.get(head.key_id)
        if public is None:
            return f"is signed with unknown key {head.key_id!r}"
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))
        message = head_message(head.seq, head.entry_id, head.hash, head.signed_at, head.key_id)
        try:
            key.verify(base64.urlsafe_b64decode(head.signature), message)
        except (InvalidSignature, ValueError):
            return "has a signature that does not verify (forged or altered)"
        return None
