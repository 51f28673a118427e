"""Request dependencies: the database session, the authenticated principal, permissions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.permissions import Permission, allowed
from core.security import InvalidTokenError, TokenClaims, read_token
from core.settings import Settings
from domain.eligibility import WorkerFacts
from domain.enums import Role
from domain.messages import Actor
from store.db import SessionFactory
from store.key_store import FirmKeyStore
from store.repositories import users
from store.repositories.audit import AuditRecord
from store.scope import ClerkWork, Scope, clerk_holds_task

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# The dependencies are `async def`, even the trivial ones: FastAPI runs a plain `def` dependency in
# its thread pool, a thread hand-off per dependency per request (measured on claim-next).
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_sessions(request: Request) -> SessionFactory:
    sessions: SessionFactory = request.app.state.sessions
    return sessions


async def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


async def get_firm_keys(request: Request) -> FirmKeyStore:
    store: FirmKeyStore = request.app.state.firm_keys
    return store


async def get_session(
    sessions: Annotated[SessionFactory, Depends(get_sessions)],
) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the route returns without error."""
    async with sessions.begin() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionsDep = Annotated[SessionFactory, Depends(get_sessions)]
# scope="function": commit BEFORE the response is sent. FastAPI's default ends yield dependencies
# after sending, so a client could act on a claim not yet committed (or one whose commit failed).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
TemporalDep = Annotated[Client, Depends(get_temporal)]
FirmKeysDep = Annotated[FirmKeyStore, Depends(get_firm_keys)]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    id: uuid.UUID
    username: str
    role: Role
    firm_id: uuid.UUID | None
    skills: tuple[str, ...]
    request_id: str
    client_addr: str | None

    @property
    def scope(self) -> Scope:
        # Partners see their firm only; BPO staff work across the firms they serve, a clerk only
        # the engagements of their own work (HIPAA minimum necessary, store/scope.py).
        if self.role == Role.PARTNER:
            return Scope(self.firm_id)
        if self.role == Role.CLERK:
            return Scope(None, ClerkWork(self.id, self.skills))
        return Scope.everything()

    def audit_record(
        self,
        action: str,
        object_type: str,
        object_id: str,
        *,
        firm_id: uuid.UUID | None = None,
        engagement_id: uuid.UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditRecord:
        """An audit entry for something this caller did in this request."""
        return AuditRecord(
            action=action,
            object_type=object_type,
            object_id=object_id,
            actor_id=self.id,
            actor_role=self.role,
            engagement_id=engagement_id,
            firm_id=firm_id,
            detail=detail or {},
            request_id=self.request_id,
            client_addr=self.client_addr,
        )

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=str(self.id),
            role=self.role,
            firm_id=str(self.firm_id) if self.firm_id else None,
            skills=list(self.skills),
        )

    @property
    def worker(self) -> WorkerFacts:
        return self.actor.worker


async def ensure_holds_a_task_of(
    session: AsyncSession, principal: Principal, engagement_id: uuid.UUID, what: str
) -> None:
    """A clerk acts on an engagement (posts its events, comments on its tasks) only while
    holding one of its tasks (HIPAA minimum necessary, 45 CFR 164.502(b)); managers always."""
    if principal.role != Role.CLERK:
        return
    if not await clerk_holds_task(session, principal.id, engagement_id):
        raise HTTPException(
            status_code=403,
            detail=f"a clerk may {what} only while holding one of this engagement's tasks",
        )


_UNAUTHENTICATED = HTTPException(
    status_code=401,
    detail="missing or invalid bearer token",
    headers={"WWW-Authenticate": "Bearer"},
)


def _verified(token: str | None, settings: Settings) -> TokenClaims:
    """The token's claims, checked before any database work: signature, key id, expiry."""
    if not token:
        raise _UNAUTHENTICATED
    try:
        claims = read_token(settings.token_verification_keys(), token)
        uuid.UUID(claims.user_id)
    except (InvalidTokenError, ValueError):
        raise _UNAUTHENTICATED from None
    return claims


async def _autocommit(session: AsyncSession) -> None:
    # Reads and single-statement writes: no BEGIN and COMMIT/ROLLBACK round trips.
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


async def _principal(request: Request, claims: TokenClaims, session: AsyncSession) -> Principal:
    """The caller as the database has them now (read per request, never cached)."""
    user = await users.get(session, uuid.UUID(claims.user_id))
    # A disabled user or a bumped token version (password change) revokes every older token.
    if user is None or not user.active or user.token_version != claims.token_version:
        raise _UNAUTHENTICATED
    return Principal(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        firm_id=user.firm_id,
        skills=tuple(user.skills),
        request_id=request.headers.get("x-request-id") or str(uuid.uuid4()),
        client_addr=request.client.host if request.client else None,
    )


async def get_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2)],
    settings: SettingsDep,
    sessions: SessionsDep,
) -> Principal:
    claims = _verified(token, settings)
    async with sessions() as session:
        await _autocommit(session)
        return await _principal(request, claims, session)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _check(principal: Principal, permission: Permission) -> None:
    if not allowed(principal.role, permission):
        raise HTTPException(
            status_code=403, detail=f"role {principal.role.value!r} may not {permission.value}"
        )


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks the permission matrix."""

    async def check(principal: PrincipalDep) -> Principal:
        _check(principal, permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-matrix test
    return check


@dataclass(frozen=True)
class Authorized:
    """The caller, and the autocommit session their user row was just read on."""

    principal: Principal
    session: AsyncSession


def require_on_session(permission: Permission) -> Callable[..., AsyncIterator[Authorized]]:
    """`require`, for a route that runs single statements (autocommit) right after: the user
    lookup and the route's work share one pooled connection, one checkout per request.

    Use with `scope="function"` so the session is closed before the response is sent. The user is
    still read from the database on every request (revocation stays immediate).
    """

    async def check(
        request: Request,
        token: Annotated[str | None, Depends(oauth2)],
        settings: SettingsDep,
        sessions: SessionsDep,
    ) -> AsyncIterator[Authorized]:
        claims = _verified(token, settings)  # a bad token costs no connection
        async with sessions() as session:
            await _autocommit(session)
            principal = await _principal(request, claims, session)
            _check(principal, permission)
            yield Authorized(principal, session)

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-matrix test
    return check
