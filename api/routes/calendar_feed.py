"""The firm's deadlines as an iCalendar feed (RFC 5545), subscribable from Outlook or Google.

Calendar clients cannot send an Authorization header, so the feed also accepts a per-user feed
token in the URL (`?token=`): a signed JWT naming a `calendar_feed_tokens` row, scoped to one
firm and to this feed only (its audience refuses it everywhere else). Minting again, revoking,
disabling the user or changing their password kills the URL. The bearer header works too.

Each open task with a due time and each running engagement's court deadline is one VEVENT with a
stable UID (`task-<id>@docketflow`, `court-<engagement id>@docketflow`); SEQUENCE and
LAST-MODIFIED move only when what the event says changes, so clients update it in place.

A fetch first reads the feed's change marker (one index-only query: a digest of every event's
content and stored counters); while it holds, the body rendered last time is served again
(`FeedCache`), so an unchanged feed costs one query, not a rebuild of every event.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import (
    Principal,
    SessionDep,
    SessionsDep,
    SettingsDep,
    get_principal,
    oauth2,
    require,
)
from api.permissions import Permission, allowed
from domain.enums import Priority, Role
from store.models import Firm
from store.repositories import audit, calendar_feed, firms, users
from store.repositories.audit import AuditRecord
from store.scope import Scope

router = APIRouter(prefix="/firms", tags=["calendar"])

_AUDIENCE = "docketflow:deadlines-feed"
_ISSUER = "docketflow"
_ALGORITHM = "HS256"
EVENT_LENGTH = timedelta(minutes=30)  # a due time is an instant; clients need a visible block


class CalendarTokenOut(BaseModel):
    firm_id: uuid.UUID
    token: str
    url: str
    created_at: datetime


def _mint_jwt(
    signing_key: tuple[str, str],
    token_id: uuid.UUID,
    user_id: uuid.UUID,
    firm_id: uuid.UUID,
    version: int,
) -> str:
    kid, secret = signing_key
    claims = {
        "iss": _ISSUER,
        "aud": _AUDIENCE,
        "jti": str(token_id),
        "sub": str(user_id),
        "fid": str(firm_id),
        "ver": version,  # a password change or disable bumps it, which kills the URL too
        "iat": datetime.now(UTC),
    }
    # No expiry: a calendar subscription lives until revoked (row, user, or key retirement).
    return jwt.encode(claims, secret, algorithm=_ALGORITHM, headers={"kid": kid})


@dataclass(frozen=True)
class FeedToken:
    token_id: uuid.UUID
    user_id: uuid.UUID
    firm_id: uuid.UUID
    version: int


def _read_jwt(keys: Mapping[str, str], token: str) -> FeedToken | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        secret = keys.get(kid) if isinstance(kid, str) else None
        if secret is None:
            return None
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            issuer=_ISSUER,
            options={"require": ["jti", "sub", "fid", "ver", "aud"]},
        )
        return FeedToken(
            token_id=uuid.UUID(claims["jti"]),
            user_id=uuid.UUID(claims["sub"]),
            firm_id=uuid.UUID(claims["fid"]),
            version=int(claims["ver"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


_BAD_FEED_TOKEN = HTTPException(
    status_code=401, detail="the calendar link is invalid or was revoked: get a new one"
)


async def _feed_scope(
    request: Request,
    firm_id: uuid.UUID,
    settings: SettingsDep,
    sessions: SessionsDep,
    bearer: Annotated[str | None, Depends(oauth2)],
    token: Annotated[str | None, Query(description="feed token from POST …/calendar-token")] = None,
) -> Scope:
    """Who reads the feed: the URL's feed token, or else the usual bearer token."""
    if token is None:
        principal = await get_principal(request, bearer, settings, sessions)
        if not allowed(principal.role, Permission.DASHBOARD_READ):
            raise HTTPException(status_code=403, detail="your role may not read this feed")
        return principal.scope
    claims = _read_jwt(settings.token_verification_keys(), token)
    if claims is None:
        raise _BAD_FEED_TOKEN
    async with sessions() as session:
        row = await calendar_feed.active_token(session, claims.token_id)
        user = await users.get(session, claims.user_id)
    if (
        row is None
        or row.user_id != claims.user_id
        or row.firm_id != claims.firm_id
        or user is None
        or not user.active
        or user.token_version != claims.version
        or not allowed(Role(user.role), Permission.DASHBOARD_READ)
    ):
        raise _BAD_FEED_TOKEN
    if claims.firm_id != firm_id:
        raise HTTPException(status_code=404, detail="firm not found")
    return Scope(user.firm_id) if user.role == Role.PARTNER else Scope.everything()


# The route-permission checks read this, as they read `require(...)`: both branches above
# enforce DASHBOARD_READ (the bearer one via the matrix, the feed-token one via the token's user).
_feed_scope.permission = Permission.DASHBOARD_READ  # type: ignore[attr-defined]


async def _visible_firm(session: AsyncSession, firm_id: uuid.UUID, scope: Scope) -> Firm:
    firm = await firms.get(session, firm_id, scope)
    if firm is None:
        raise HTTPException(status_code=404, detail="firm not found")
    return firm


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


@dataclass(frozen=True)
class _Item:
    uid: str
    start: datetime
    summary: str
    description: str
    categories: tuple[str, ...]

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.start.isoformat(), self.summary, self.description)


def _items(feed: calendar_feed.FeedSnapshot) -> list[_Item]:
    items: list[_Item] = []
    for task in feed.tasks:
        items.append(
            _Item(
                uid=calendar_feed.task_uid(task.id),
                start=task.due_at,
                summary=f"Due: {task.title}",
                description=(
                    f"Queue: {task.queue}\nStep: {task.step_id}\n"
                    f"Priority: {Priority.from_rank(task.priority).value}\n"
                    f"Status: {task.status}\nEngagement: {task.engagement_id}"
                ),
                categories=("Docketflow", "Task due"),
            )
        )
    for court in feed.courts:
        items.append(
            _Item(
                uid=calendar_feed.court_uid(court.engagement_id),
                start=court.court_deadline,
                summary=f"Court deadline: {court.title} ({court.matter_ref})",
                description=f"Engagement: {court.engagement_id}\nTemplate: {court.template_key}",
                categories=("Docketflow", "Court deadline"),
            )
        )
    return items


class FeedCache:
    """The last rendered feed of each firm, served again while the firm's feed marker (a digest
    of every event's content and change counters, computed in PostgreSQL) and the firm's name
    and time zone are unchanged. The marker lives in the database, so every API replica sees
    a change, whoever made or counted it; a miss renders from one snapshot and is kept only if
    that render changed no counter (else the next fetch's marker differs anyway)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._feeds: OrderedDict[uuid.UUID, tuple[tuple[str, str, str], bytes]] = OrderedDict()

    def get(self, firm_id: uuid.UUID, key: tuple[str, str, str]) -> bytes | None:
        entry = self._feeds.get(firm_id)
        if entry is None or entry[0] != key:
            return None
        self._feeds.move_to_end(firm_id)
        return entry[1]

    def put(self, firm_id: uuid.UUID, key: tuple[str, str, str], body: bytes) -> None:
        self._feeds[firm_id] = (key, body)
        self._feeds.move_to_end(firm_id)
        while len(self._feeds) > self.size:
            self._feeds.popitem(last=False)


def _cache(request: Request) -> FeedCache:
    cache = getattr(request.app.state, "deadlines_feed_cache", None)
    if cache is None:
        cache = request.app.state.deadlines_feed_cache = FeedCache()
    return cache


async def build_feed(
    session: AsyncSession, firm: Firm, now: datetime
) -> tuple[bytes, tuple[str, str, str] | None]:
    """Renders the feed from one snapshot, counting each changed event once; returns the body
    and the cache key it may be kept under (None when this render changed a counter)."""
    feed = await calendar_feed.snapshot(session, firm.id)
    items = _items(feed)
    versions = {uid: said.version for uid, said in feed.said.items()}
    changed = {
        item.uid: item.fingerprint
        for item in items
        if item.uid not in feed.said or feed.said[item.uid].fingerprint != item.fingerprint
    }
    if changed:
        versions.update(await calendar_feed.record_changes(session, firm.id, changed))
    body = render_calendar(firm, items, versions, now)
    return body, None if changed else (feed.marker, firm.name, firm.timezone)


def _text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")  # a bare CR ends a content line for some parsers
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue after CRLF + one space (never
    splitting a UTF-8 character)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    start, limit = 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a continuation byte
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74  # continuation lines begin with the folding space
    return "\r\n ".join(parts)


def render_calendar(
    firm: Firm, items: list[_Item], versions: dict[str, calendar_feed.EventVersion], now: datetime
) -> bytes:
    """The feed as RFC 5545 text. Written by hand: with thousands of events a general-purpose
    library spent over a second per fetch; the tests parse the output with `icalendar`."""
    stamp = _utc(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Docketflow//Firm deadlines//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(f'{firm.name}: deadlines')}",
        f"X-WR-TIMEZONE:{_text(firm.timezone)}",
        # How often subscribers should re-fetch (RFC 7986, and the older Microsoft property).
        "REFRESH-INTERVAL;VALUE=DURATION:PT15M",
        "X-PUBLISHED-TTL:PT15M",
    ]
    for item in items:
        version = versions.get(item.uid)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_text(item.uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(item.start)}",
            f"DTEND:{_utc(item.start + EVENT_LENGTH)}",
            f"SUMMARY:{_text(item.summary)}",
            f"DESCRIPTION:{_text(item.description)}",
            "CATEGORIES:" + ",".join(_text(c) for c in item.categories),
            "TRANSP:TRANSPARENT",
            f"SEQUENCE:{version.sequence if version else 0}",
            f"LAST-MODIFIED:{_utc(version.modified_at if version else now)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


@router.get(
    "/{firm_id}/deadlines.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def deadlines_feed(
    firm_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    scope: Annotated[Scope, Depends(_feed_scope)],
) -> Response:
    """The firm's open task due times and court deadlines as an iCalendar feed."""
    firm = await _visible_firm(session, firm_id, scope)
    cache = _cache(request)
    marker = await calendar_feed.feed_marker(session, firm.id)
    body = cache.get(firm.id, (marker, firm.name, firm.timezone))
    if body is None:
        body, key = await build_feed(session, firm, datetime.now(UTC))
        if key is not None:
            cache.put(firm.id, key, body)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="deadlines.ics"',
            # The URL may carry a credential: keep it out of shared caches.
            "Cache-Control": "private, max-age=300",
        },
    )


async def _audit(session: AsyncSession, principal: Principal, firm: Firm, action: str) -> None:
    await audit.record(
        session,
        AuditRecord(
            action=action,
            object_type="firm",
            object_id=str(firm.id),
            actor_id=principal.id,
            actor_role=principal.role,
            firm_id=firm.id,
            request_id=principal.request_id,
            client_addr=principal.client_addr,
        ),
    )


@router.post("/{firm_id}/calendar-token", status_code=201, response_model=CalendarTokenOut)
async def mint_calendar_token(
    firm_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))],
) -> CalendarTokenOut:
    """A personal subscription URL for the firm's deadlines feed; replaces your earlier one."""
    firm = await _visible_firm(session, firm_id, principal.scope)
    user = await users.get(session, principal.id)
    assert user is not None  # the principal was just loaded
    token_id = await calendar_feed.mint_token(session, principal.id, firm.id)
    token = _mint_jwt(
        settings.token_signing_key(), token_id, principal.id, firm.id, user.token_version
    )
    await _audit(session, principal, firm, "calendar_token.minted")
    url = request.url_for("deadlines_feed", firm_id=str(firm.id)).include_query_params(token=token)
    return CalendarTokenOut(
        firm_id=firm.id, token=token, url=str(url), created_at=datetime.now(UTC)
    )


@router.delete("/{firm_id}/calendar-token", status_code=204, response_class=Response)
async def revoke_calendar_token(
    firm_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))],
) -> Response:
    """Revokes your subscription URLs for the firm's feed."""
    firm = await _visible_firm(session, firm_id, principal.scope)
    await calendar_feed.revoke_tokens(session, principal.id, firm.id)
    await _audit(session, principal, firm, "calendar_token.revoked")
    return Response(status_code=204)
