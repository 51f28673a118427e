"""GET /metrics: the API's Prometheus series, the floor read from PostgreSQL at scrape time, and
request latency by route template (prometheus-fastapi-instrumentator).

Scrapes are authenticated by an operator token, not a user's: Prometheus holds no user account.
With DOCKETFLOW_METRICS_TOKEN set, only `Authorization: Bearer <token>` is answered; in prod
without one the series are refused (queue names and firm ids describe the business).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import cache

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as http_metrics

from api import problems
from api.deps import SessionsDep, SettingsDep
from core import metrics
from core.settings import Settings
from store.repositories import engagements, queues

router = APIRouter(tags=["health"])

# Probes and scrapes would drown the routes people use.
UNTIMED = ["/metrics", "/healthz", "/readyz"]


@cache
def _http_series() -> Callable[[http_metrics.Info], None]:
    # Registered once per process: a second app (tests make many) records into the same series
    # (the library's default gives a later app nothing once the names are registered).
    series = http_metrics.default()
    assert series is not None
    return series


def instrument(app: FastAPI) -> None:
    """Request count and latency per method, route template (`/api/v1/tasks/{task_id}`, never
    the raw path: one series per route, not per id) and status."""
    Instrumentator(
        should_group_status_codes=False,
        should_ignore_untemplated=True,
        excluded_handlers=UNTIMED,
    ).add(_http_series()).instrument(app)


def _refusal(request: Request, settings: Settings) -> Response | None:
    if settings.metrics_token is None:
        if settings.env == "prod":
            return problems.problem(
                403, "metrics are off: set DOCKETFLOW_METRICS_TOKEN and scrape with it"
            )
        return None
    offered = request.headers.get("authorization", "")
    expected = f"Bearer {settings.metrics_token}"
    if hmac.compare_digest(offered.encode(), expected.encode()):
        return None
    return problems.problem(
        401,
        "a metrics scrape needs the metrics bearer token",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _read_floor(sessions: SessionsDep) -> None:
    async with sessions() as session:
        floor = await queues.floor(session)
        stuck = await engagements.count_stuck(session)
    for gauge in (
        metrics.QUEUE_DEPTH,
        metrics.QUEUE_OLDEST_AGE,
        metrics.QUEUE_AT_RISK,
        metrics.QUEUE_BREACHED,
    ):
        gauge.clear()  # a deleted queue stops reporting
    for row in floor:
        metrics.QUEUE_DEPTH.labels(row.queue).set(row.depth)
        metrics.QUEUE_OLDEST_AGE.labels(row.queue).set(row.oldest_age_seconds)
        metrics.QUEUE_AT_RISK.labels(row.queue).set(row.at_risk)
        metrics.QUEUE_BREACHED.labels(row.queue).set(row.breached)
    metrics.STUCK_ENGAGEMENTS.set(stuck)


@router.get("/metrics", include_in_schema=False)
async def scrape(request: Request, settings: SettingsDep, sessions: SessionsDep) -> Response:
    refused = _refusal(request, settings)
    if refused is not None:
        return refused
    await _read_floor(sessions)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
