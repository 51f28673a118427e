"""`Idempotency-Key`: a retried mutating call gets the first answer instead of acting twice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse

from api.deps import Principal
from store.db import SessionFactory
from store.repositories import idempotency

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeat a call with the same key to get its first answer without acting twice",
    ),
]


async def replay(
    sessions: SessionFactory, principal: Principal, key: str | None
) -> JSONResponse | None:
    if key is None:
        return None
    async with sessions() as session:
        stored = await idempotency.find(session, principal.id, key)
    if stored is None:
        return None
    return JSONResponse(
        stored.body, status_code=stored.status_code, headers={"Idempotent-Replay": "true"}
    )


async def remember(
    sessions: SessionFactory,
    principal: Principal,
    key: str | None,
    *,
    method: str,
    path: str,
    status_code: int,
    body: dict[str, Any],
) -> None:
    if key is None:
        return
    async with sessions.begin() as session:
        await idempotency.remember(
            session,
            user_id=principal.id,
            key=key,
            method=method,
            path=path,
            status_code=status_code,
            body=body,
        )
