"""Login and the caller's identity."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import Principal, SessionDep, SettingsDep, require
from api.permissions import Permission
from api.schemas import MeOut, TokenOut
from core.security import hash_password, issue_token, verify_password
from store.repositories import users

router = APIRouter(tags=["auth"])

# Verifying against a throwaway hash when the user does not exist keeps response times alike,
# so login timing does not reveal which usernames exist.
_DUMMY_HASH = hash_password("docketflow-timing-equaliser")


@router.post("/auth/token", response_model=TokenOut)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    user = await users.get_by_username(session, form.username)
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, form.password)
    if user is None or not valid or not user.active:
        raise HTTPException(
            status_code=401,
            detail="incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    token = issue_token(settings.secret_key, str(user.id), user.token_version, ttl)
    return TokenOut(access_token=token, expires_in=int(ttl.total_seconds()))


@router.get("/me", response_model=MeOut)
async def me(principal: Annotated[Principal, Depends(require(Permission.ME))]) -> MeOut:
    return MeOut(
        id=principal.id,
        username=principal.username,
        role=principal.role,
        firm_id=principal.firm_id,
        skills=list(principal.skills),
    )
