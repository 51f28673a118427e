"""Liveness and readiness (unauthenticated, as orchestrators expect); metrics: api/metrics.py."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from sqlalchemy import text

from api.deps import SessionsDep, TemporalDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(
    sessions: SessionsDep, temporal: TemporalDep, response: Response
) -> dict[str, str]:
    """200 only when both PostgreSQL and Temporal answer."""
    checks: dict[str, str] = {}
    try:
        async with sessions() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=3)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    try:
        await asyncio.wait_for(temporal.service_client.check_health(), timeout=3)
        checks["temporal"] = "ok"
    except Exception as error:
        checks["temporal"] = f"unreachable: {type(error).__name__}"
    ready = all(v == "ok" for v in checks.values())
    response.status_code = 200 if ready else 503
    return {"status": "ready" if ready else "not ready", **checks}
