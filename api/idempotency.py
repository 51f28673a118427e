"""`Idempotency-Key`: a retried mutating call gets the first answer instead of acting twice.

Keys belong to the user who sent them (draft-ietf-httpapi-idempotency-key-header: the server
combines the client's key with what it knows of the client), so two users' equal keys never meet.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Annotated, Any

from fastapi import Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

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


# Never change: ids already reserved from keys depend on it (a retry after a deploy must find its
# engagement). uuid5 ids (version 5) never meet the uuid4 ids of creates without a key.
_RESERVED_IDS = uuid.UUID("7d3c1b52-6f0e-4c8e-9a51-2f1e8b0c4d6a")


def reserved_id(user_id: uuid.UUID, key: str) -> uuid.UUID:
    """The id a create with this key reserves: the same for every retry by this user."""
    return uuid.uuid5(_RESERVED_IDS, f"{user_id}:{key}")


def fingerprint(body: BaseModel) -> str:
    """The request's payload as validated (defaults filled in, so sending a default or leaving it
    out is the same request): a retry must send the same one."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def replay(
    sessions: SessionFactory,
    principal: Principal,
    key: str | None,
    path: str | None = None,
    request_hash: str | None = None,
) -> JSONResponse | None:
    """The first answer to this key, if any (with `path`: only one given by that route).

    With `request_hash`, the key must have answered this same request: the same key on another
    route or with another body is the client's error (422), never a silent replay
    (draft-ietf-httpapi-idempotency-key-header)."""
    if key is None:
        return None
    async with sessions() as session:
        stored = await idempotency.find(session, principal.id, key)
    if stored is None:
        return None
    if request_hash is not None and (
        stored.path != path or stored.request_hash not in (None, request_hash)
    ):
        raise HTTPException(
            status_code=422,
            detail="this Idempotency-Key was already used for a different request: send the "
            "same request to get its answer, or a new key for a new request",
        )
    if path is not None and stored.path != path:
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
    request_hash: str | None = None,
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
            request_hash=request_hash,
        )


async def first_answer(
    sessions: SessionFactory, principal: Principal, key: str | None, path: str, body: BaseModel
) -> JSONResponse | None:
    """For a keyed mutation: the answer this same request got before, or None to act now.
    Refuses (422) the key reused for another request."""
    return await replay(sessions, principal, key, path, fingerprint(body))


async def keep_answer(
    sessions: SessionFactory,
    principal: Principal,
    key: str | None,
    path: str,
    body: BaseModel,
    answer: BaseModel,
    status_code: int = 200,
) -> None:
    """Remember a keyed mutation's answer with the request it answered."""
    await remember(
        sessions,
        principal,
        key,
        method="POST",
        path=path,
        status_code=status_code,
        body=answer.model_dump(mode="json"),
        request_hash=fingerprint(body),
    )
