"""A Temporal codec server: the Web UI and `temporal workflow show --codec-endpoint` send
encrypted payloads here and get them back readable, if the caller is a manager or an admin.

The Web UI points at `<api>/api/v1/codec` (Settings -> Codec server); CORS allows the UI's
origin (settings.temporal_ui_url) on these two paths only. The Temporal CLI passes the bearer
token with `--codec-auth "Bearer <token>"`.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from api.deps import Principal, SessionsDep, SettingsDep, TemporalDep, require
from api.permissions import Permission
from api.schemas import Request as StrictBody
from core.codec import KEY_ID, EncryptionCodec, KeyUnavailableError, firm_of_key
from store.repositories import audit

router = APIRouter(prefix="/codec", tags=["codec"])
CodecDep = Annotated[Principal, Depends(require(Permission.CODEC))]


class PayloadJson(BaseModel):
    """A `temporal.api.common.v1.Payload` in proto JSON: base64 metadata values and data."""

    metadata: dict[str, str] = Field(default_factory=dict, max_length=64)
    data: str = ""


class PayloadsJson(StrictBody):
    payloads: list[PayloadJson] = Field(max_length=1000)


def _to_proto(index: int, payload: PayloadJson) -> Payload:
    try:
        return Payload(
            metadata={k: base64.b64decode(v, validate=True) for k, v in payload.metadata.items()},
            data=base64.b64decode(payload.data, validate=True),
        )
    except (binascii.Error, ValueError) as error:
        raise HTTPException(status_code=422, detail=f"payloads.{index}: not base64") from error


def _to_json(payload: Payload) -> PayloadJson:
    return PayloadJson(
        metadata={k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        data=base64.b64encode(payload.data).decode(),
    )


def _codec(temporal: TemporalDep, settings: SettingsDep, namespace: str | None) -> EncryptionCodec:
    if namespace is not None and namespace != settings.temporal_namespace:
        raise HTTPException(status_code=404, detail=f"no codec for namespace {namespace!r}")
    codec = temporal.data_converter.payload_codec
    assert isinstance(codec, EncryptionCodec)
    return codec


@router.post("/encode", response_model=PayloadsJson)
async def encode(
    body: PayloadsJson,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: CodecDep,
    x_namespace: Annotated[str | None, Header(max_length=256)] = None,
) -> PayloadsJson:
    """Encrypts under the deployment key (a codec server call names no workflow, so no firm)."""
    codec = _codec(temporal, settings, x_namespace)
    return PayloadsJson(
        payloads=[
            _to_json(await codec.encrypt(_to_proto(i, p))) for i, p in enumerate(body.payloads)
        ]
    )


@router.post("/decode", response_model=PayloadsJson)
async def decode(
    body: PayloadsJson,
    temporal: TemporalDep,
    settings: SettingsDep,
    sessions: SessionsDep,
    principal: CodecDep,
    x_namespace: Annotated[str | None, Header(max_length=256)] = None,
) -> PayloadsJson:
    """Payloads under a key this deployment no longer holds (shredded) come back unchanged.
    Reading a firm's payloads is an access to its client data: audited, once per firm."""
    codec = _codec(temporal, settings, x_namespace)
    decoded = []
    firms: Counter[str] = Counter()
    for index, item in enumerate(body.payloads):
        payload = _to_proto(index, item)
        try:
            decoded.append(_to_json(await codec.decrypt(payload)))
        except KeyUnavailableError:
            decoded.append(item)
            continue
        firm_id = firm_of_key(payload.metadata.get(KEY_ID, b"").decode(errors="replace"))
        if firm_id is not None:
            firms[firm_id] += 1
    if firms:
        async with sessions.begin() as session:
            for firm_id, count in sorted(firms.items()):
                await audit.record(
                    session,
                    principal.audit_record(
                        "payloads.decrypted",
                        "firm",
                        firm_id,
                        firm_id=uuid.UUID(firm_id),
                        detail={"payloads": count, "namespace": settings.temporal_namespace},
                    ),
                )
    return PayloadsJson(payloads=decoded)
