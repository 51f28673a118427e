"""Firms (tenants)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Firm
from store.scope import Scope


async def create(
    session: AsyncSession,
    *,
    name: str,
    timezone: str,
    business_hours: dict[str, Any],
    holidays: list[str],
) -> Firm:
    firm = Firm(name=name, timezone=timezone, business_hours=business_hours, holidays=holidays)
    session.add(firm)
    await session.flush()
    return firm


async def get(session: AsyncSession, firm_id: uuid.UUID, scope: Scope) -> Firm | None:
    if not scope.allows(firm_id):
        return None
    return await session.get(Firm, firm_id)


async def get_by_name(session: AsyncSession, name: str) -> Firm | None:
    return (await session.execute(select(Firm).where(Firm.name == name))).scalar_one_or_none()


async def list_visible(session: AsyncSession, scope: Scope) -> Sequence[Firm]:
    query = select(Firm).where(scope.filter(Firm.id)).order_by(Firm.name)
    return (await session.execute(query)).scalars().all()
