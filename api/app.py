"""The FastAPI application factory. The Temporal client and the engine live in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from api import console, docs, engagement_client, metrics, middleware, problems
from api.routes import (
    audit,
    auth,
    billing,
    calendar_feed,
    clerks,
    codec,
    dashboard,
    deadlines,
    documents,
    engagements,
    firm_keys,
    firms,
    health,
    notifications,
    queues,
    redaction,
    task_drafts,
    task_management,
    tasks,
    templates,
    users,
)
from core.settings import Settings
from core.temporal import connect
from core.tracing import tracer_provider
from store.db import make_engine, make_session_factory
from store.document_vault import DocumentVault, blob_store
from store.key_store import firm_key_store

API_PREFIX = "/api/v1"


def create_app(settings: Settings, tracing: TracerProvider | None = None) -> FastAPI:
    """`tracing`: a provider for this app's spans; by default from settings (off unless an OTLP
    endpoint is set)."""
    tracing = tracing or tracer_provider(settings, "docketflow-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.database_url,
            settings.database_pool_size,
            max_overflow=0,
            limits=settings.database_limits,
        )
        app.state.settings = settings
        app.state.sessions = make_session_factory(engine)
        app.state.firm_keys = firm_key_store(settings, app.state.sessions)
        app.state.documents = DocumentVault(blob_store(settings), app.state.firm_keys)
        # lazy: the API starts (and /readyz reports) even while Temporal is still coming up.
        app.state.temporal = await connect(
            settings, app.state.firm_keys, lazy=True, tracing=tracing
        )
        yield
        await engine.dispose()
        if tracing is not None:
            tracing.shutdown()  # flushes the spans still batched

    app = FastAPI(
        title="Docketflow",
        version="0.1.0",
        description="Workflow orchestration for outsourced legal work, on Temporal and PostgreSQL.",
        lifespan=lifespan,
        # Served by api/docs.py from local assets; off in prod unless DOCKETFLOW_API_DOCS=true.
        docs_url=None,
        redoc_url=None,
        openapi_url=docs.OPENAPI_URL if settings.docs_enabled else None,
    )
    problems.install(app)
    middleware.install(app, settings)  # size limit, security headers, codec CORS

    @app.exception_handler(engagement_client.TemporalUnavailableError)
    async def _unavailable(
        _: Request, error: engagement_client.TemporalUnavailableError
    ) -> JSONResponse:
        return problems.problem(
            503,
            f"the workflow engine could not be reached ({error}); retry the same request: "
            "a completion, an event or a create with an Idempotency-Key is applied at most once",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(engagement_client.UpdateNotConfirmedError)
    async def _not_confirmed(
        _: Request, error: engagement_client.UpdateNotConfirmedError
    ) -> JSONResponse:
        # Honest about the in-between: the engine holds the request and may still apply it.
        where = f" GET {error.location} shows the outcome;" if error.location else ""
        return JSONResponse(
            {
                "status": "pending",
                "detail": "sent to the workflow engine but not yet confirmed: it may still be "
                f"applied.{where} repeating the same request is safe (it is applied at most once)",
                "location": error.location,
            },
            status_code=202,
            headers={"Location": error.location} if error.location else None,
        )

    api = APIRouter(prefix=API_PREFIX)
    # Routes are matched in order: the clerks' hot path (claim-next, complete) comes first.
    for module in (tasks, auth, firms, templates, engagements, audit, dashboard, calendar_feed):
        api.include_router(module.router)
    for module in (users, codec, firm_keys, deadlines, notifications, documents):
        api.include_router(module.router)
    for module in (queues, clerks, task_management):  # issue 4: queues, workload, manager tools
        api.include_router(module.router)
    for module in (redaction, billing):  # issue 12: legal outputs
        api.include_router(module.router)
    api.include_router(task_drafts.router)  # issue 15: the console's form drafts
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(metrics.router)
    metrics.instrument(app)
    if tracing is not None:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=tracing, excluded_urls=",".join(metrics.UNTIMED)
        )
    if settings.docs_enabled:
        docs.install(app)
    console.install(app)  # the web console at `/` and its static assets
    return app
