"""Request hardening for every route: a body size limit, sane request ids, security headers, and
CORS for the Temporal Web UI on the codec endpoints only.

Plain ASGI middleware (no BaseHTTPMiddleware): bodies are counted as they stream, so a lying or
missing Content-Length cannot slip a large upload past the limit.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import problems
from core.settings import Settings

CODEC_PATH = "/api/v1/codec/"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Document uploads are the only bodies allowed past `max_request_bytes` (api/uploads.py streams
# them to disk); multipart framing and the small form fields get a little room on top.
_UPLOAD_PATH = re.compile(r"^/api/v1/(?:engagements/[^/]+/documents|documents/[^/]+/versions)/?$")
_MULTIPART_ALLOWANCE = 64 * 1024

# Same-origin scripts and styles only: the console ships its JS and CSS as files, no inline code.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The /docs and /redoc pages load Swagger UI / ReDoc from our own origin (api/docs.py) but
# start them with an inline script; ReDoc runs a blob: worker.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self'; img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


class _TooLargeError(HTTPException):
    """Raised from `receive`: FastAPI passes HTTPExceptions raised while reading a body through
    to the problem+json handler (any other exception there would become a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")


def _problem(status: int, title: str, detail: str) -> bytes:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return json.dumps(body).encode()


class SecurityMiddleware:
    """Size limit (413), request id, and the headers every response carries."""

    def __init__(
        self, app: ASGIApp, max_body: int, max_upload: int | None = None, hsts_seconds: int = 0
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = (max_upload or max_body) + _MULTIPART_ALLOWANCE
        self.hsts_seconds = hsts_seconds

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and _UPLOAD_PATH.match(scope["path"]):
            return self.max_upload
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")
        if not _REQUEST_ID.match(request_id):
            # An id is stored with every audit entry: an unbounded or odd one is replaced.
            request_id = str(uuid.uuid4())
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"] + [
            (b"x-request-id", request_id.encode())
        ]
        extra = _security_headers(scope["path"], request_id)
        if scope.get("scheme") == "https" and self.hsts_seconds > 0:
            # Served over TLS (directly, or by a trusted proxy's X-Forwarded-Proto): browsers
            # keep to https for this long, so a later plain-http link cannot strip TLS.
            hsts = f"max-age={self.hsts_seconds}; includeSubDomains"
            extra.append((b"strict-transport-security", hsts.encode()))

        limit = self._limit(scope)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._send_too_large(send, extra, limit)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLargeError(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLargeError:
            if not started:
                await self._send_too_large(send, extra, limit)

    async def _send_too_large(
        self, send: Send, extra: list[tuple[bytes, bytes]], limit: int
    ) -> None:
        body = _problem(413, "Content Too Large", f"the request body exceeds {limit} bytes")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


STATIC_PATH = "/console/static/"  # the console's stylesheet and script: no client data


def _security_headers(path: str, request_id: str) -> list[tuple[bytes, bytes]]:
    csp = DOCS_CSP if path.startswith(DOCS_PATHS) else CSP
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"x-request-id", request_id.encode()),
    ]
    if not path.startswith(STATIC_PATH):
        # API responses and console pages carry client data: no shared or browser cache keeps
        # them (a shared workstation's back button would show the last clerk's matter).
        headers.append((b"cache-control", b"no-store"))
    return headers


class CodecCors:
    """CORS for the Temporal Web UI's origin on the codec endpoints, and nowhere else."""

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=[origin],
            allow_methods=["POST"],
            allow_headers=["authorization", "content-type", "x-namespace"],
            allow_credentials=True,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CODEC_PATH):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _unstorable(_: Request, error: Exception) -> Response:
    # The database refused a value the schema let through (a NUL character in a string, a number
    # out of range): the client's input, so a 422, not a 500.
    return problems.problem(
        422,
        "a value in the request cannot be stored (e.g. a NUL character or an out-of-range number)",
    )


def install(app: FastAPI, settings: Settings) -> None:
    app.add_exception_handler(DataError, _unstorable)
    # Added last = outermost: the size limit and headers wrap everything, CORS included.
    app.add_middleware(CodecCors, origin=origin_of(settings.temporal_ui_url))
    app.add_middleware(
        SecurityMiddleware,
        max_body=settings.max_request_bytes,
        max_upload=settings.document_max_bytes,
        hsts_seconds=settings.hsts_seconds,
    )
    # Outermost: every layer (and login throttling) sees the client and scheme a trusted proxy
    # named; `docketflow api` turns uvicorn's own copy of this off so it is applied once.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
