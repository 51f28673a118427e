"""Login (throttled per user and client address), the caller's identity, own password."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import Field

from api.deps import Principal, SessionDep, SessionsDep, SettingsDep, require
from api.permissions import Permission
from api.schemas import MeOut, TokenOut
from api.schemas import Request as StrictBody
from core.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    issue_token,
    needs_rehash,
    verify_password,
)
from store.repositories import audit, throttle, users
from store.repositories.audit import AuditRecord

router = APIRouter(tags=["auth"])

# Verifying against a throwaway hash when the user does not exist keeps response times alike,
# so login timing does not reveal which usernames exist.
_DUMMY_HASH = hash_password("docketflow-timing-equaliser")
_INVALID = HTTPException(
    status_code=401,
    detail="incorrect username or password",
    headers={"WWW-Authenticate": "Bearer"},
)


def _client(request: Request) -> str:
    """The client address, as a trusted proxy named it (api/middleware.py: ProxyHeaders)."""
    return request.client.host if request.client else "unknown"


def _throttle_key(username: str, address: str) -> str:
    return f"login:{username.lower()[:64]}|{address[:64]}"


def _throttled(wait: timedelta) -> HTTPException:
    return HTTPException(
        status_code=429,
        detail="too many failed attempts; try again later",
        headers={"Retry-After": str(max(1, math.ceil(wait.total_seconds())))},
    )


async def _admit(sessions: SessionsDep, settings: SettingsDep, key: str) -> None:
    """Count this password attempt, committed before the slow hash runs (429 while waiting)."""
    async with sessions.begin() as session:
        wait = await throttle.admit(
            session,
            key,
            free=settings.login_max_failures,
            base=timedelta(seconds=settings.login_backoff_base_seconds),
            cap=timedelta(seconds=settings.login_lockout_seconds),
            now=datetime.now(UTC),
        )
    if wait is not None:
        raise _throttled(wait)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={401: {"description": "wrong credentials"}, 429: {"description": "throttled"}},
)
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    sessions: SessionsDep,
    settings: SettingsDep,
) -> TokenOut:
    """OAuth2 password login, throttled per (username, client address) with a doubling wait
    (429 with Retry-After), on every API replica alike."""
    address = _client(request)
    key = _throttle_key(form.username, address)
    await _admit(sessions, settings, key)
    async with sessions() as session:
        user = await users.get_by_username(session, form.username[:64])
    # argon2 is deliberately slow: off the event loop, so one login does not stall others.
    stored = user.password_hash if user else _DUMMY_HASH
    valid = await asyncio.to_thread(verify_password, stored, form.password)
    async with sessions.begin() as session:
        if user is None or not valid or not user.active:
            await audit.record(
                session,
                AuditRecord(
                    action="auth.login_failed",
                    object_type="user",
                    object_id=str(user.id) if user else "unknown",
                    detail={"username": form.username[:64]},
                    request_id=request.headers.get("x-request-id"),
                    client_addr=address[:64],
                ),
            )
            failed = True
        else:
            await throttle.clear(session, key)
            if needs_rehash(stored):
                current = await users.get(session, user.id)
                if current is not None:
                    rehashed = await asyncio.to_thread(hash_password, form.password)
                    await users.rehash_password(session, current, rehashed)
            await audit.record(
                session,
                AuditRecord(
                    action="auth.login",
                    object_type="user",
                    object_id=str(user.id),
                    actor_id=user.id,
                    actor_role=user.role,
                    firm_id=user.firm_id,
                    request_id=request.headers.get("x-request-id"),
                    client_addr=address[:64],
                ),
            )
            failed = False
    if failed or user is None:
        raise _INVALID
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    token = issue_token(settings.token_signing_key(), str(user.id), user.token_version, ttl)
    return TokenOut(access_token=token, expires_in=int(ttl.total_seconds()))


@router.post("/auth/logout", status_code=204, response_class=Response)
async def logout(
    session: SessionDep, principal: Annotated[Principal, Depends(require(Permission.ME))]
) -> Response:
    """Revoke the caller's tokens on the server (the token version moves on), so a copied token
    is dead from now on, not when it expires; it signs the user out of every session."""
    user = await users.get(session, principal.id)
    if user is None:
        raise HTTPException(status_code=404, detail="user not found")
    await users.revoke_tokens(session, user)
    await audit.record(
        session, principal.audit_record("auth.logout", "user", str(user.id), firm_id=user.firm_id)
    )
    return Response(status_code=204)


@router.get("/me", response_model=MeOut)
async def me(principal: Annotated[Principal, Depends(require(Permission.ME))]) -> MeOut:
    return MeOut(
        id=principal.id,
        username=principal.username,
        role=principal.role,
        firm_id=principal.firm_id,
        skills=list(principal.skills),
    )


class PasswordChangeIn(StrictBody):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


@router.post("/me/password", status_code=204, response_class=Response)
async def change_own_password(
    request: Request,
    body: PasswordChangeIn,
    session: SessionDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.ME))],
) -> Response:
    """Change your password; every token issued before (this one included) stops working.

    Throttled like a login: a stolen token must not be a way to guess the password."""
    user = await users.get(session, principal.id)
    if user is None:
        raise HTTPException(status_code=404, detail="user not found")
    key = _throttle_key(user.username, _client(request))
    await _admit(sessions, settings, key)
    if not await asyncio.to_thread(verify_password, user.password_hash, body.current_password):
        raise HTTPException(status_code=403, detail="the current password is not correct")
    await throttle.clear(session, key)
    new_hash = await asyncio.to_thread(hash_password, body.new_password)
    await users.set_password(session, user, new_hash)
    await audit.record(
        session,
        principal.audit_record("user.password_changed", "user", str(user.id), firm_id=user.firm_id),
    )
    return Response(status_code=204)
