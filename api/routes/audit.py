"""The audit trail: who did what, when, to which engagement or task; exports for client audits."""

from __future__ import annotations

import csv
import io
import json
import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import AuditOut
from store.models import AuditEntry
from store.repositories import audit, engagements, firms, tasks

router = APIRouter(prefix="/audit", tags=["audit"])
AuditReader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


async def _check_visible(
    session: AsyncSession,
    principal: Principal,
    *,
    engagement_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    firm_id: uuid.UUID | None = None,
) -> None:
    """Asking for another firm's object answers 404, as if it did not exist (never an empty 200
    that would confirm the id)."""
    scope = principal.scope
    if engagement_id is not None and await engagements.get(session, engagement_id, scope) is None:
        raise HTTPException(status_code=404, detail="engagement not found")
    if task_id is not None and await tasks.get(session, task_id, scope) is None:
        raise HTTPException(status_code=404, detail="task not found")
    if firm_id is not None and await firms.get(session, firm_id, scope) is None:
        raise HTTPException(status_code=404, detail="firm not found")


@router.get("", response_model=list[AuditOut])
async def list_audit(
    session: SessionDep,
    principal: AuditReader,
    engagement_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    limit: int = Query(default=200, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> list[AuditOut]:
    await _check_visible(session, principal, engagement_id=engagement_id, task_id=task_id)
    rows = await audit.list_entries(
        session,
        principal.scope,
        engagement_id=engagement_id,
        task_id=task_id,
        limit=limit,
        offset=offset,
    )
    return [AuditOut.model_validate(r, from_attributes=True) for r in rows]


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


EXPORT_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "engagement_id",
    "firm_id",
    "request_id",
    "client_addr",
    "detail",
    "prev_hash",
    "hash",
)


def _row(entry: AuditEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in EXPORT_FIELDS}
    return {
        k: v.isoformat() if k == "at" else (str(v) if isinstance(v, uuid.UUID) else v)
        for k, v in values.items()
    }


def _no_formula(value: Any) -> Any:
    # A cell starting with = + - @ runs as a formula in spreadsheet apps (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@router.get(
    "/export",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
    response_class=Response,
)
async def export_audit(
    session: SessionDep,
    principal: AuditReader,
    engagement_id: uuid.UUID | None = None,
    firm_id: uuid.UUID | None = None,
    format: ExportFormat = ExportFormat.JSON,  # the query parameter's public name
) -> Response:
    """One engagement's or one firm's whole trail, with each entry's hash and its predecessor's,
    so the client can check what it received against `docketflow audit verify`."""
    if (engagement_id is None) == (firm_id is None):
        raise HTTPException(status_code=422, detail="give exactly one of engagement_id, firm_id")
    await _check_visible(session, principal, engagement_id=engagement_id, firm_id=firm_id)
    await audit.chain_pending(session)  # every entry committed so far leaves with its hashes
    rows = [
        _row(e)
        for e in await audit.export_entries(
            session, principal.scope, engagement_id=engagement_id, firm_id=firm_id
        )
    ]
    name = f"audit-{'engagement' if engagement_id else 'firm'}-{engagement_id or firm_id}"
    if format == ExportFormat.JSON:
        return Response(
            json.dumps({"entries": rows}, default=str),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        cells = {**row, "detail": json.dumps(row["detail"], sort_keys=True)}
        writer.writerow({k: _no_formula(v) for k, v in cells.items()})
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
