"""A firm's payload data keys (admin only): list, rotate, shred.

Each firm's engagement payloads in Temporal are encrypted under the firm's own key (core/codec.py,
store/key_store.py). Rotating makes a new version current; older versions keep decrypting.
Shredding a version destroys it: every history written under it, backups included, becomes
unreadable for good. That is how a firm's retention period ends, so it is refused while an open
engagement may still need the key, and it must name the key it destroys.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, Field

from api.deps import FirmKeysDep, Principal, SessionDep, SettingsDep, require
from api.permissions import Permission
from api.schemas import ReasonIn
from core.codec import new_data_key
from store.key_store import FirmKeyStore
from store.models import FirmDataKey
from store.repositories import audit, firm_keys, firms

router = APIRouter(prefix="/firms/{firm_id}/data-keys", tags=["firms"])
KeysAdmin = Annotated[Principal, Depends(require(Permission.KEYS_ADMIN))]


class DataKeyOut(BaseModel):
    key_id: str
    version: int
    status: Literal["current", "retired", "shredded"]
    created_at: datetime
    retired_at: datetime | None
    shredded_at: datetime | None


class ShredIn(ReasonIn):
    confirm: str = Field(
        max_length=80, description="the key id being shredded, typed again: this cannot be undone"
    )


def _out(key: FirmDataKey) -> DataKeyOut:
    status: Literal["current", "retired", "shredded"] = (
        "shredded" if key.shredded_at else "retired" if key.retired_at else "current"
    )
    return DataKeyOut(
        key_id=key.key_id,
        version=key.version,
        status=status,
        created_at=key.created_at,
        retired_at=key.retired_at,
        shredded_at=key.shredded_at,
    )


async def _firm(session: SessionDep, firm_id: uuid.UUID, principal: Principal) -> None:
    if await firms.get(session, firm_id, principal.scope) is None:
        raise HTTPException(status_code=404, detail="firm not found")


@router.get("", response_model=list[DataKeyOut])
async def list_keys(
    firm_id: uuid.UUID, session: SessionDep, principal: KeysAdmin
) -> list[DataKeyOut]:
    """Key versions and their state; key material never leaves the codec."""
    await _firm(session, firm_id, principal)
    return [_out(key) for key in await firm_keys.list_for_firm(session, firm_id)]


@router.post("/rotate", status_code=201, response_model=DataKeyOut)
async def rotate(
    firm_id: uuid.UUID,
    body: ReasonIn,
    session: SessionDep,
    store: FirmKeysDep,
    settings: SettingsDep,
    principal: KeysAdmin,
) -> DataKeyOut:
    """A new current key for the firm's new payloads; older versions still decrypt."""
    await _firm(session, firm_id, principal)
    master = settings.codec_master_key
    key = await firm_keys.rotate(session, firm_id, lambda kid: new_data_key(master, kid))
    return await _changed(session, store, principal, key, "firm.data_key_rotated", body.reason)


@router.post("/{version}/shred", response_model=DataKeyOut)
async def shred(
    firm_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=999_999)],
    body: ShredIn,
    session: SessionDep,
    store: FirmKeysDep,
    principal: KeysAdmin,
) -> DataKeyOut:
    """Destroy one key version: its histories become unreadable everywhere (crypto-shredding)."""
    await _firm(session, firm_id, principal)
    key = next(
        (k for k in await firm_keys.list_for_firm(session, firm_id) if k.version == version), None
    )
    if key is None:
        raise HTTPException(status_code=404, detail=f"firm has no data key version {version}")
    if body.confirm != key.key_id:
        raise HTTPException(
            status_code=422, detail=f"confirm: type the key id {key.key_id!r} to shred it"
        )
    if key.shredded_at is not None:
        raise HTTPException(status_code=409, detail=f"{key.key_id} was shredded already")
    needing = await firm_keys.open_engagements_needing(session, key)
    if needing:
        raise HTTPException(
            status_code=409,
            detail=f"{needing} open engagement(s) of this firm may still need {key.key_id}: "
            "close or cancel them first (rotate to stop using it for new ones)",
        )
    await firm_keys.shred(session, key)
    return await _changed(session, store, principal, key, "firm.data_key_shredded", body.reason)


async def _changed(
    session: SessionDep,
    store: FirmKeyStore,
    principal: Principal,
    key: FirmDataKey,
    action: str,
    reason: str,
) -> DataKeyOut:
    """Audit a key change and drop this process's cached keys of the firm at once."""
    await audit.record(
        session,
        principal.audit_record(
            action,
            "firm_data_key",
            key.key_id,
            firm_id=key.firm_id,
            detail={"version": key.version, "reason": reason},
        ),
    )
    await session.flush()
    await session.refresh(key)
    store.forget(str(key.firm_id))
    return _out(key)
