"""Encryption of every Temporal payload (AES-256-GCM), with envelope-wrapped, rotating data keys.

Workflow inputs, activity results, update arguments and failure details carry client data and PHI
(matter facts, medical-record notes). Temporal stores them in its history, which its operators,
backups and Web UI can read; this codec makes that history ciphertext.

- Data keys (256-bit) are kept wrapped by a master key (AES-GCM, the key id as associated data),
  in settings: `codec_keys` kid -> wrapped key, `codec_master_key`. A master key can move to a KMS
  or be re-wrapped without touching a single history.
- Each payload names its data key in its metadata (`encryption-key-id`); the key itself never
  leaves the process. New payloads use the current key; older ones decrypt with theirs, so a
  rotation is: add a key, make it current, keep the old one while its histories are retained.
- Removing a key from the ring makes every history encrypted under it unreadable: that is how a
  retention period ends (crypto-shredding), even in backups.

Engagement payloads use their firm's own data key instead (envelope encryption per tenant): an
engagement's workflow id starts with its firm (`firm-<uuid>.engagement-<uuid>`, an opaque tenant id,
no client data), the SDK hands each codec call that id through `WithSerializationContext`, and
a `FirmKeySource` (store/key_store.py: wrapped keys in PostgreSQL) supplies the firm's current key.
Shredding a firm's key makes that firm's histories unreadable and nobody else's. Payloads without
a firm (the lease sweeper, a codec call without context) use the deployment ring.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
FORMAT = "encryption-format"
FORMAT_2 = b"2"
WORKFLOW = "encryption-workflow"
_NONCE = 12
_WRAP_AAD = b"docketflow-data-key:"
DEV_KEY_ID = "dev-1"
_UUID = r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}"
_FIRM_KEY_ID = re.compile(rf"^firm:(?P<firm>{_UUID}):(?P<version>[1-9][0-9]{{0,5}})$")
_FIRM_OF_WORKFLOW = re.compile(rf"^firm-(?P<firm>{_UUID})\.")


class KeyUnavailableError(Exception):
    """A payload names a data key this process does not hold (rotated out or shredded)."""


class KeyMaterialError(ValueError):
    """A configured key cannot be decoded or unwrapped."""


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise KeyMaterialError("not valid base64") from error


def check_master_key(master_key: str) -> None:
    if len(_b64(master_key)) != 32:
        raise KeyMaterialError("a master key is base64 of 32 random bytes")


def wrap_key(master_key: str, key_id: str, data_key: bytes) -> str:
    """`data_key` encrypted under the master key, bound to its id (base64 nonce || ciphertext)."""
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_b64(master_key)).encrypt(nonce, data_key, _WRAP_AAD + key_id.encode())
    return base64.b64encode(nonce + sealed).decode()


def unwrap_key(master_key: str, key_id: str, wrapped: str) -> bytes:
    blob = _b64(wrapped)
    try:
        key = AESGCM(_b64(master_key)).decrypt(
            blob[:_NONCE], blob[_NONCE:], _WRAP_AAD + key_id.encode()
        )
    except (InvalidTag, ValueError) as error:
        raise KeyMaterialError(
            f"data key {key_id!r} does not unwrap with this master key"
        ) from error
    if len(key) != 32:
        raise KeyMaterialError(f"data key {key_id!r} is not 256 bits")
    return key


def new_data_key(master_key: str, key_id: str) -> str:
    """A fresh random data key, wrapped, ready for `DOCKETFLOW_CODEC_KEYS`."""
    return wrap_key(master_key, key_id, AESGCM.generate_key(bit_length=256))


def firm_key_id(firm_id: str, version: int) -> str:
    """The id a firm's data key travels under in payload metadata (never the key itself)."""
    return f"firm:{firm_id}:{version}"


def firm_of_key(key_id: str) -> str | None:
    """The firm a data key belongs to, or None for a deployment key."""
    match = _FIRM_KEY_ID.match(key_id)
    return match["firm"] if match else None


def firm_of_workflow(workflow_id: str | None) -> str | None:
    """The firm an engagement (or its fan-out child) workflow belongs to, from its id."""
    match = _FIRM_OF_WORKFLOW.match(workflow_id or "")
    return match["firm"] if match else None


class FirmKeySource(Protocol):
    """Where per-firm data keys come from (store/key_store.py); keys are raw 256-bit values."""

    async def current(self, firm_id: str) -> tuple[str, bytes]:
        """The firm's current (key id, key), made on first use."""
        ...

    async def key(self, key_id: str) -> bytes | None:
        """The key for `key_id`, or None when it was shredded or never existed."""
        ...


@dataclass(frozen=True)
class KeyRing:
    """The data keys this process holds (kid -> raw key) and the one new payloads use."""

    current_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def unwrap(cls, master_key: str, wrapped: Mapping[str, str], current: str | None) -> KeyRing:
        if not wrapped:
            raise KeyMaterialError("no data keys configured")
        keys = {kid: unwrap_key(master_key, kid, blob) for kid, blob in wrapped.items()}
        current_id = current or list(wrapped)[-1]
        if current_id not in keys:
            raise KeyMaterialError(f"current data key {current_id!r} is not in the ring")
        return cls(current_id=current_id, keys=keys)

    @classmethod
    def development(cls) -> KeyRing:
        """A fixed, public key for dev and tests only (settings refuse it in prod)."""
        return cls(DEV_KEY_ID, {DEV_KEY_ID: hashlib.sha256(b"docketflow-dev-data-key-1").digest()})

    def without(self, key_id: str) -> KeyRing:
        """The ring after shredding `key_id` (tests, and `docketflow keys` dry runs)."""
        return KeyRing(self.current_id, {k: v for k, v in self.keys.items() if k != key_id})


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """AES-256-GCM over each serialized payload; the associated data authenticates the key id
    and the workflow the payload was sealed for (format 2, see `_seal`).

    Bound to a workflow of a firm (`with_context`), it encrypts under that firm's key and refuses
    a payload sealed for another firm's workflow; payloads name their key, so decoding needs no
    context. `allow_plaintext=False` (production) refuses payloads that are not encrypted at
    all, such as one a Temporal user typed into the Web UI."""

    def __init__(
        self,
        ring: KeyRing,
        firm_keys: FirmKeySource | None = None,
        workflow_id: str | None = None,
        *,
        allow_plaintext: bool = True,
    ) -> None:
        self._ring = ring
        self._firm_keys = firm_keys
        self._workflow_id = workflow_id
        self._firm_id = firm_of_workflow(workflow_id) if firm_keys is not None else None
        self._allow_plaintext = allow_plaintext

    def with_context(self, context: SerializationContext) -> Self:
        workflow_id = getattr(context, "workflow_id", None)
        if workflow_id == self._workflow_id:
            return self
        return type(self)(
            self._ring, self._firm_keys, workflow_id, allow_plaintext=self._allow_plaintext
        )

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id, key = await self._encryption_key()
        return [_seal(key_id, key, p, self._workflow_id or "") for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [await self.decrypt(p) for p in payloads]

    async def encrypt(self, payload: Payload) -> Payload:
        key_id, key = await self._encryption_key()
        return _seal(key_id, key, payload, self._workflow_id or "")

    async def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            if self._allow_plaintext:
                return payload  # dev and tests: written before encryption was on
            raise KeyUnavailableError("a plaintext payload is refused: every payload is encrypted")
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        key = await self._decryption_key(key_id)
        if payload.metadata.get(FORMAT) == FORMAT_2:
            bound = payload.metadata.get(WORKFLOW, b"").decode(errors="replace")
            self._check_workflow(bound)
            aad = _aad_2(key_id, bound)
        else:
            aad = key_id.encode()  # format 1 (histories written before format 2): the key id
        try:
            plain = AESGCM(key).decrypt(payload.data[:_NONCE], payload.data[_NONCE:], aad)
        except (InvalidTag, ValueError) as error:
            raise KeyUnavailableError(f"payload under key {key_id!r} failed to decrypt") from error
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded

    def _check_workflow(self, bound: str) -> None:
        """A payload sealed for one firm's workflow is refused in another firm's workflow (a
        history edited to carry it). Workflows of the same firm may pass payloads along (a
        fan-out child's result reaches its parent)."""
        here, there = firm_of_workflow(self._workflow_id), firm_of_workflow(bound)
        if here is not None and there is not None and here != there:
            raise KeyUnavailableError(
                f"payload sealed for workflow {bound!r} refused in workflow {self._workflow_id!r}"
            )

    async def _encryption_key(self) -> tuple[str, bytes]:
        if self._firm_id is not None and self._firm_keys is not None:
            return await self._firm_keys.current(self._firm_id)
        return self._ring.current_id, self._ring.keys[self._ring.current_id]

    async def _decryption_key(self, key_id: str) -> bytes:
        key = self._ring.keys.get(key_id)
        if key is None and firm_of_key(key_id) is not None:
            if self._firm_keys is None:
                raise KeyUnavailableError(
                    f"data key {key_id!r} is a firm key and this process has no key store"
                )
            key = await self._firm_keys.key(key_id)
        if key is None:
            raise KeyUnavailableError(f"data key {key_id!r} is not available (rotated or shredded)")
        return key


def _aad_2(key_id: str, workflow_id: str) -> bytes:
    return b"docketflow-payload/2\x00" + key_id.encode() + b"\x00" + workflow_id.encode()


def _seal(key_id: str, key: bytes, payload: Payload, workflow_id: str) -> Payload:
    """Format 2: the key id and the workflow (id, naming its firm) are authenticated, so neither
    can be edited in the metadata; format 1 bound the key id only and still decrypts."""
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, payload.SerializeToString(), _aad_2(key_id, workflow_id))
    return Payload(
        metadata={
            "encoding": ENCODING,
            KEY_ID: key_id.encode(),
            FORMAT: FORMAT_2,
            WORKFLOW: workflow_id.encode(),
        },
        data=nonce + sealed,
    )
