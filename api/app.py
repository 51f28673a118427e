"""The FastAPI application factory. The Temporal client and the engine live in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client

from api import engagement_client, problems
from api.routes import audit, auth, engagements, firms, health, tasks, templates
from core.settings import Settings
from core.temporal import data_converter
from store.db import make_engine, make_session_factory

API_PREFIX = "/api/v1"


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.sessions = make_session_factory(engine)
        # lazy: the API starts (and /readyz reports) even while Temporal is still coming up.
        app.state.temporal = await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter(),
            lazy=True,
        )
        yield
        await engine.dispose()

    app = FastAPI(
        title="Docketflow",
        version="0.1.0",
        description="Workflow orchestration for outsourced legal work, on Temporal and PostgreSQL.",
        lifespan=lifespan,
    )
    problems.install(app)

    @app.exception_handler(engagement_client.TemporalUnavailableError)
    async def _unavailable(
        _: Request, error: engagement_client.TemporalUnavailableError
    ) -> JSONResponse:
        return problems.problem(
            503,
            f"the workflow engine did not answer; nothing was changed ({error})",
            headers={"Retry-After": "5"},
        )

    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, firms, templates, engagements, tasks, audit):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    return app
