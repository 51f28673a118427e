"""User administration (admins only): list, add, disable, enable, reset a password."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import Request as StrictBody
from core.security import MIN_PASSWORD_LENGTH, hash_password
from domain.enums import Role
from store.models import User
from store.repositories import audit, firms, users
from store.scope import Scope

router = APIRouter(prefix="/users", tags=["users"])
AdminDep = Annotated[Principal, Depends(require(Permission.USERS_ADMIN))]


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    role: Role
    firm_id: uuid.UUID | None
    skills: list[str]
    active: bool


class UserIn(StrictBody):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Role
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    firm_id: uuid.UUID | None = Field(default=None, description="required for partners only")
    skills: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _partners_belong_to_one_firm(self) -> UserIn:
        if (self.role == Role.PARTNER) != (self.firm_id is not None):
            raise ValueError("firm_id is required for a partner and refused for other roles")
        return self


class PasswordResetIn(StrictBody):
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


def _out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        firm_id=user.firm_id,
        skills=list(user.skills),
        active=user.active,
    )


async def _audit(
    session: AsyncSession, principal: Principal, user: User, action: str, **detail: Any
) -> None:
    record = principal.audit_record(
        action, "user", str(user.id), firm_id=user.firm_id, detail=detail
    )
    await audit.record(session, record)


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await users.get(session, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="user not found")
    return user


@router.get("", response_model=list[UserOut])
async def list_users(
    session: SessionDep,
    _: AdminDep,
    limit: int = Query(default=200, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> list[UserOut]:
    return [_out(u) for u in await users.list_all(session, limit=limit, offset=offset)]


@router.post("", status_code=201, response_model=UserOut)
async def add_user(body: UserIn, session: SessionDep, principal: AdminDep) -> UserOut:
    if body.firm_id and await firms.get(session, body.firm_id, Scope.everything()) is None:
        raise HTTPException(status_code=404, detail="firm not found")
    if await users.get_by_username(session, body.username) is not None:
        raise HTTPException(status_code=409, detail=f"user {body.username!r} exists already")
    user = await users.create(
        session,
        username=body.username,
        password_hash=await asyncio.to_thread(hash_password, body.password),
        role=body.role.value,
        firm_id=body.firm_id,
        skills=body.skills,
    )
    await _audit(session, principal, user, "user.added", role=body.role.value)
    return _out(user)


@router.post("/{user_id}/disable", response_model=UserOut)
async def disable_user(user_id: uuid.UUID, session: SessionDep, principal: AdminDep) -> UserOut:
    """The user can no longer log in, and every token they hold stops working at once."""
    if user_id == principal.id:
        raise HTTPException(status_code=409, detail="you cannot disable yourself")
    user = await _user(session, user_id)
    await users.set_active(session, user, False)
    await _audit(session, principal, user, "user.disabled")
    return _out(user)


@router.post("/{user_id}/enable", response_model=UserOut)
async def enable_user(user_id: uuid.UUID, session: SessionDep, principal: AdminDep) -> UserOut:
    user = await _user(session, user_id)
    await users.set_active(session, user, True)
    await _audit(session, principal, user, "user.enabled")
    return _out(user)


@router.post("/{user_id}/password", response_model=UserOut)
async def reset_password(
    user_id: uuid.UUID, body: PasswordResetIn, session: SessionDep, principal: AdminDep
) -> UserOut:
    """Set a new password; the user's existing tokens stop working."""
    user = await _user(session, user_id)
    await users.set_password(session, user, await asyncio.to_thread(hash_password, body.password))
    await _audit(session, principal, user, "user.password_reset")
    return _out(user)
