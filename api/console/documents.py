"""The console's documents: upload beside the task form, open (PDFs preview inline), download.

Both go through the API as the signed-in user, so the same scoping, checks and audit apply.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.console.pages import redirect, router
from api.console.session import CSRF_FIELD, ApiClient, ConsoleApiError, check_csrf

# The PDF viewer is framed by the task page (same origin) and may run nothing else.
_CONTENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@router.post("/tasks/{task_id}/documents")
async def upload(request: Request, task_id: uuid.UUID) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get(CSRF_FIELD) or ""))
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise ConsoleApiError(422, "Choose a file to upload.")
    api = ApiClient(request)
    task = await api.get(f"/tasks/{task_id}")
    replaces = str(form.get("replaces") or "")
    fields = {"task_id": str(task_id)}
    if replaces:
        path = f"/documents/{uuid.UUID(replaces)}/versions"
    else:
        path = f"/engagements/{task['engagement_id']}/documents"
        fields |= {"kind": str(form.get("kind") or "other"), "title": str(form.get("title") or "")}
    # Starlette spooled the part to a temporary file; hand the API that file, read in chunks,
    # not a copy of it in memory.
    await file.seek(0)
    await api.call(
        "POST",
        path,
        files={"file": (file.filename, file.file, file.content_type or "application/octet-stream")},
        data={k: v for k, v in fields.items() if v},
    )
    return redirect(f"/tasks/{task_id}", "uploaded")


@router.get("/documents/{document_id}/content")
async def content(request: Request, document_id: uuid.UUID, version: int | None = None) -> Response:
    query = f"?version={version}" if version else ""
    answer = await ApiClient(request).raw("GET", f"/documents/{document_id}/content{query}")
    if answer.status_code >= 400:
        raise ConsoleApiError(answer.status_code, answer.json().get("detail", "not available"))
    headers = {
        k: answer.headers[k]
        for k in ("content-disposition", "etag", "cache-control")
        if k in answer.headers
    }
    headers["content-security-policy"] = _CONTENT_CSP
    return Response(answer.content, media_type=answer.headers["content-type"], headers=headers)
