"""The console's session and its calls to the JSON API.

The console is a client of the public API, like any integration: every read and every action goes
through `/api/v1` in-process (ASGI, no network hop), with the user's own bearer token, so scoping,
permissions, validation and the audit log are the API's and never re-implemented here.

The token lives in an HttpOnly, SameSite=Strict cookie. Every form POST also carries a CSRF token
that must equal the `df_csrf` cookie (double submit): another site can make the browser send the
cookies, but cannot read them to put the same value in the form.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request, Response

SESSION_COOKIE = "df_session"
CSRF_COOKIE = "df_csrf"
CSRF_FIELD = "csrf"
API = "/api/v1"


class LoginRequiredError(Exception):
    """No session, or the API refused its token (expired, revoked): back to the login page."""


class ConsoleApiError(Exception):
    """The API said no; `detail` is its human sentence (problem+json). `retry_after` is the
    API's Retry-After (a 503 while the database is down), passed on to the browser."""

    def __init__(self, status: int, detail: str, retry_after: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class CsrfError(Exception):
    """A form came without the matching CSRF token."""


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: the cookie's, or a fresh one `remember_csrf` will set."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    fresh: str = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
    request.state.new_csrf = fresh
    return fresh


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def remember_csrf(request: Request, response: Response) -> None:
    fresh = getattr(request.state, "new_csrf", None)
    if fresh and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise CsrfError


def start_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    # A new CSRF token per login, so a value seen before login is useless after it.
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text or f"HTTP {response.status_code}"
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return f"HTTP {response.status_code}"


@dataclass
class ApiClient:
    """Calls the API in-process as the signed-in user."""

    request: Request

    def _client(self) -> httpx.AsyncClient:
        client = self.request.client
        transport = httpx.ASGITransport(
            app=self.request.app,
            # The caller's address, so the API's login throttling sees the real client.
            client=(client.host, client.port) if client else ("127.0.0.1", 0),
        )
        headers = {"x-request-id": self.request.headers.get("x-request-id", "")}
        token = self.request.cookies.get(SESSION_COOKIE)
        if token:
            headers["authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(
            transport=transport,
            base_url=str(self.request.base_url).rstrip("/"),
            headers={k: v for k, v in headers.items() if v},
            timeout=60,
        )

    async def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with self._client() as http:
            response = await http.request(method, f"{API}{path}", **kwargs)
        if response.status_code == 401 and path != "/auth/token":
            raise LoginRequiredError
        return response

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a 2xx answer (None for 204); ConsoleApiError otherwise."""
        if not self.request.cookies.get(SESSION_COOKIE):
            raise LoginRequiredError
        response = await self.raw(method, path, **kwargs)
        if response.status_code >= 400:
            raise ConsoleApiError(
                response.status_code, _detail(response), response.headers.get("retry-after")
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return await self.call("GET", path, params=clean)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return await self.call("POST", path, json=body)
