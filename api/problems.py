"""RFC 9457 problem+json for every error, so clients parse one shape, and each error logged once."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import DomainError
from store.outage import DATABASE_ERRORS, Outage, classify

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"
INTERNAL_ERROR = "internal error; the request was not completed"

# What each outage tells the client, and when to come back (seconds). Only LOST cannot promise
# that nothing was applied: the connection broke with a write or its COMMIT possibly done.
OUTAGE_ANSWERS = {
    Outage.UNAVAILABLE: (
        "the database is unavailable; the request was not completed and may be retried",
        5,
    ),
    Outage.TIMEOUT: (
        "the database did not finish in time (a statement or a lock wait ran past its limit); "
        "the request was not completed and may be retried",
        5,
    ),
    Outage.CONFLICT: (
        "the request collided with a concurrent change and was rolled back; it was not "
        "completed and may be retried",
        1,
    ),
    Outage.BUSY: (
        "every database connection of this server is in use; the request was not completed "
        "and may be retried",
        1,
    ),
    Outage.LOST: (
        "the connection to the database broke while the request ran, so it may or may not have "
        "been applied: read the result before repeating a change (a read may be retried)",
        5,
    ),
}


def problem(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, error: DomainError) -> JSONResponse:
        return problem(error.status, error.detail, type_=f"urn:docketflow:{error.type.value}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(
            error.status_code, str(error.detail), headers=getattr(error, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in error.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, f"invalid request: {summary}", errors=errors)

    for error_class in DATABASE_ERRORS:
        app.add_exception_handler(error_class, _database_error)
    # Added first, so innermost of the middleware: its 500 still passes through the security
    # headers (api/middleware.py), and nothing outside it sees the exception.
    app.add_middleware(UnhandledErrors)


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    trouble = classify(error)
    if trouble is None:
        log.error("request.failed", path=request.url.path, exc_info=error)
        return problem(500, INTERNAL_ERROR)
    detail, retry_after = OUTAGE_ANSWERS[trouble.outage]
    # An expected condition while it lasts: one line per request, no traceback.
    log.warning(
        "database.unavailable",
        path=request.url.path,
        method=request.method,
        outage=trouble.outage.value,
        sqlstate=trouble.sqlstate,
        error=trouble.summary,
    )
    return problem(
        503,
        detail,
        type_=f"urn:docketflow:database-{trouble.outage.value}",
        headers={"Retry-After": str(retry_after)},
    )


class UnhandledErrors:
    """The last resort for an exception no handler took: logged once, with its traceback, and
    answered 500 problem+json.

    Not `@app.exception_handler(Exception)`: Starlette runs that handler in ServerErrorMiddleware,
    which then re-raises "so servers can log it": uvicorn logged every error a second time, and
    an in-process httpx client (the console's calls to the API) got the exception raised instead
    of the 500, so the console's own error page never showed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("request.failed", path=scope["path"])
            if not started:  # else the server closes the half-sent response
                await problem(500, INTERNAL_ERROR)(scope, receive, send)
