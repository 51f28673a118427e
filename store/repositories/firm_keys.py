"""Per-firm payload data keys: wrapped key rows, their versions, rotation and shredding.

Crypto lives in store/key_store.py and core/codec.py; this module only reads and writes rows.
Rotation and first-key creation lock the firm row, so two processes never race to a version.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.codec import firm_key_id
from domain.enums import EngagementStatus
from store.models import Engagement, Firm, FirmDataKey

# Makes the wrapped form of a fresh key for a key id (store/key_store.py holds the master key).
WrapNewKey = Callable[[str], str]
_OPEN = (EngagementStatus.RUNNING, EngagementStatus.ON_HOLD)


async def current(session: AsyncSession, firm_id: uuid.UUID) -> FirmDataKey | None:
    query = (
        select(FirmDataKey)
        .where(
            FirmDataKey.firm_id == firm_id,
            FirmDataKey.retired_at.is_(None),
            FirmDataKey.wrapped_key.is_not(None),
        )
        .order_by(FirmDataKey.version.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get(session: AsyncSession, key_id: str) -> FirmDataKey | None:
    return await session.get(FirmDataKey, key_id)


async def list_for_firm(session: AsyncSession, firm_id: uuid.UUID) -> Sequence[FirmDataKey]:
    query = select(FirmDataKey).where(FirmDataKey.firm_id == firm_id).order_by(FirmDataKey.version)
    return (await session.execute(query)).scalars().all()


async def ensure_current(
    session: AsyncSession, firm_id: uuid.UUID, wrap_new: WrapNewKey
) -> FirmDataKey | None:
    """The firm's current key, made (version after the last one) if it has none. None when the
    firm does not exist."""
    found = await current(session, firm_id)
    if found is not None:
        return found
    if not await _lock_firm(session, firm_id):
        return None
    return await current(session, firm_id) or await _add_version(session, firm_id, wrap_new)


async def rotate(session: AsyncSession, firm_id: uuid.UUID, wrap_new: WrapNewKey) -> FirmDataKey:
    """Retire the current key (it still decrypts) and make the next version current."""
    await _lock_firm(session, firm_id)
    await session.execute(
        update(FirmDataKey)
        .where(FirmDataKey.firm_id == firm_id, FirmDataKey.retired_at.is_(None))
        .values(retired_at=func.now())
    )
    return await _add_version(session, firm_id, wrap_new)


async def open_engagements_needing(session: AsyncSession, key: FirmDataKey) -> int:
    """Open engagements of the key's firm whose histories may hold payloads under this key:
    every one started before the key was retired (a workflow's input keeps its start key)."""
    query = select(func.count()).where(
        Engagement.firm_id == key.firm_id, Engagement.status.in_(_OPEN)
    )
    if key.retired_at is not None:
        query = query.where(Engagement.created_at < key.retired_at)
    return int((await session.execute(query)).scalar_one())


async def shred(session: AsyncSession, key: FirmDataKey) -> datetime:
    """Forget the key for good: its histories (and their backups) become unreadable."""
    shredded_at = (
        await session.execute(
            update(FirmDataKey)
            .where(FirmDataKey.key_id == key.key_id)
            .values(
                wrapped_key=None,
                shredded_at=func.now(),
                retired_at=func.coalesce(FirmDataKey.retired_at, func.now()),
            )
            .returning(FirmDataKey.shredded_at)
        )
    ).scalar_one()
    assert shredded_at is not None
    return shredded_at


async def rewrap_all(session: AsyncSession, rewrap: Callable[[str, str], str]) -> int:
    """Re-wrap every live key under a new master (`rewrap(key_id, wrapped) -> wrapped`)."""
    rows = (
        await session.execute(
            select(FirmDataKey).where(FirmDataKey.wrapped_key.is_not(None)).with_for_update()
        )
    ).scalars()
    count = 0
    for row in rows:
        assert row.wrapped_key is not None
        row.wrapped_key = rewrap(row.key_id, row.wrapped_key)
        count += 1
    await session.flush()
    return count


async def _lock_firm(session: AsyncSession, firm_id: uuid.UUID) -> bool:
    # NO KEY UPDATE: serialises key changes of this firm without blocking inserts that
    # reference the firm (their foreign-key checks take KEY SHARE).
    query = select(Firm.id).where(Firm.id == firm_id).with_for_update(key_share=True)
    locked = await session.execute(query)
    return locked.scalar_one_or_none() is not None


async def _add_version(
    session: AsyncSession, firm_id: uuid.UUID, wrap_new: WrapNewKey
) -> FirmDataKey:
    last = (
        await session.execute(
            select(func.max(FirmDataKey.version)).where(FirmDataKey.firm_id == firm_id)
        )
    ).scalar_one()
    version = (last or 0) + 1
    key_id = firm_key_id(str(firm_id), version)
    key = FirmDataKey(key_id=key_id, firm_id=firm_id, version=version, wrapped_key=wrap_new(key_id))
    session.add(key)
    await session.flush()
    return key
