"""The clerk's loop (and a partner's approvals): my work, claim next, the task page with its
context, complete, send back; the lease heartbeat and form drafts that keep typed work safe."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.console import task_context
from api.console.forms import EXTRA_INPUTS, FIELD_PREFIX, FormInputError, fields_for
from api.console.forms import output_from_form as read_output
from api.console.pages import (
    firms_by_id,
    optional,
    read_form,
    redirect,
    render,
    require_role,
    router,
    who,
    zones_of,
)
from api.console.session import CSRF_FIELD, ApiClient, ConsoleApiError, check_csrf
from domain.documents import DocumentKind

DOCUMENT_KINDS = [k.value for k in DocumentKind]

# What the page says when the API refuses an action, in the clerk's words.
LAPSED = (
    "Your claim on this task lapsed or was given to someone else, so it was not submitted. "
    "Everything you typed is kept below: claim the task again to submit it."
)


@router.get("/work", response_class=HTMLResponse)
async def my_work(request: Request) -> HTMLResponse:
    api = ApiClient(request)
    me = await who(api)
    require_role(me, "clerk", "manager")
    mine = await api.get("/tasks", assignee="me", status="claimed", sort="sla", limit=100)
    queues = await api.get("/dashboard/queues")
    firms = await firms_by_id(api)
    titles = await _engagement_titles(api, mine["items"])
    return render(
        request,
        "work.html",
        {
            "me": me,
            "tasks": mine["items"],
            "queues": queues["queues"],
            "zones": zones_of(firms),
            "firms": firms,
            "engagements": titles,
        },
    )


async def _engagement_titles(
    api: ApiClient, rows: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each row's engagement (title, matter), so a row says which work it belongs to."""
    found: dict[str, dict[str, Any]] = {}
    for engagement_id in dict.fromkeys(r["engagement_id"] for r in rows):
        engagement = await optional(api, f"/engagements/{engagement_id}")
        if engagement:
            found[engagement_id] = engagement
    return found


@router.post("/work/claim-next")
async def claim_next(request: Request) -> Response:
    await read_form(request)
    task = await ApiClient(request).post("/tasks/claim-next")
    if task is None:
        return redirect("/work", "nothing")
    return redirect(f"/tasks/{task['id']}", "claimed")


async def task_page(
    request: Request,
    api: ApiClient,
    task_id: uuid.UUID,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    me = await who(api)
    task = await api.get(f"/tasks/{task_id}")
    holding = task["status"] == "claimed" and task["assignee_id"] == me["id"]
    context = await task_context.build(api, task)
    draft = None if form else await optional(api, f"/tasks/{task_id}/draft")
    typed = form or (draft or {}).get("fields")
    values = task.get("output") or context.previous_output
    documents = await optional(api, f"/engagements/{task['engagement_id']}/documents") or []
    return render(
        request,
        "task.html",
        {
            "me": me,
            "task": task,
            "holding": holding,
            "lapsed": not holding and typed is not None and task["status"] != "completed",
            "ctx": context,
            "tz": context.timezone,
            "fields": fields_for(
                task["output_schema"], values, typed=typed, errors=errors, documents=documents
            ),
            "documents": documents,
            "preview": next(
                (d for d in reversed(documents) if d["content_type"] == "application/pdf"), None
            ),
            "document_kinds": DOCUMENT_KINDS,
            "prefilled": typed is None and task.get("output") is None and values is not None,
            "draft_saved_at": (draft or {}).get("saved_at"),
            "error": error,
            "form": typed or {},
        },
        status_code=status_code,
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def show_task(request: Request, task_id: uuid.UUID) -> HTMLResponse:
    return await task_page(request, ApiClient(request), task_id)


@router.post("/tasks/{task_id}/claim")
async def claim(request: Request, task_id: uuid.UUID) -> Response:
    await read_form(request)
    await ApiClient(request).post(f"/tasks/{task_id}/claim")
    return redirect(f"/tasks/{task_id}", "claimed")


def _typed(form: dict[str, str]) -> dict[str, str]:
    """The inputs a draft keeps: output fields, outcome and note (never the CSRF token)."""
    return {k: v for k, v in form.items() if k.startswith(FIELD_PREFIX) or k in EXTRA_INPUTS}


@router.post("/tasks/{task_id}/complete", response_model=None)
async def complete(request: Request, task_id: uuid.UUID) -> Response:
    form = await read_form(request)
    api = ApiClient(request)
    task = await api.get(f"/tasks/{task_id}")
    typed = _typed(form)
    # Whatever happens next, what was typed is safe first.
    await optional_put(api, f"/tasks/{task_id}/draft", {"fields": typed})
    note = form.get("note", "").strip() or None
    try:
        output = read_output(task["output_schema"], form)
    except FormInputError as problem:
        return await task_page(
            request,
            api,
            task_id,
            error="Some answers need a change: see the marked fields.",
            errors=problem.errors,
            form=typed,
            status_code=422,
        )
    try:
        answer = await api.post(
            f"/tasks/{task_id}/complete",
            {
                "outcome": form.get("outcome", ""),
                "output": output,
                "note": note,
                "generation": int(form["generation"]) if form.get("generation") else None,
            },
        )
    except ConsoleApiError as refused:
        if refused.status >= 500:
            raise
        lapsed = refused.status == 409
        return await task_page(
            request,
            api,
            task_id,
            error=LAPSED if lapsed else refused.detail,
            form=typed,
            status_code=refused.status,
        )
    await optional_delete(api, f"/tasks/{task_id}/draft")
    if isinstance(answer, dict) and answer.get("status") == "pending":
        return redirect("/work", "pending")
    if task["kind"] == "approval":
        notice = "approved" if form.get("outcome") == "approved" else "changes"
        return redirect("/firm", notice)
    return redirect("/work", "completed")


@router.post("/tasks/{task_id}/release", response_model=None)
async def send_back(request: Request, task_id: uuid.UUID) -> Response:
    form = await read_form(request)
    api = ApiClient(request)
    reason = form.get("reason", "").strip()
    if not reason:
        return await task_page(
            request,
            api,
            task_id,
            error="Say why you send it back: the reason is required.",
            status_code=422,
        )
    await api.post(f"/tasks/{task_id}/comments", {"body": f"Sent back: {reason}"})
    await api.post(f"/tasks/{task_id}/release")
    return redirect("/work", "released")


async def optional_put(api: ApiClient, path: str, body: dict[str, Any]) -> Any:
    try:
        return await api.call("PUT", path, json=body)
    except ConsoleApiError as error:
        if error.status >= 500:
            raise
        return None


async def optional_delete(api: ApiClient, path: str) -> None:
    try:
        await api.call("DELETE", path)
    except ConsoleApiError as error:
        if error.status >= 500:
            raise


async def _json_body(request: Request) -> dict[str, Any]:
    """A script's JSON call: CSRF token in the X-CSRF header (same double-submit check)."""
    check_csrf(request, request.headers.get("x-csrf"))
    try:
        body = await request.json()
    except ValueError:
        raise ConsoleApiError(400, "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise ConsoleApiError(400, "the request body must be a JSON object")
    return body


@router.post("/tasks/{task_id}/heartbeat")
async def heartbeat(request: Request, task_id: uuid.UUID) -> JSONResponse:
    """The open task page keeps its claim's lease alive (console.js calls this)."""
    body = await _json_body(request)
    generation = body.get("generation")
    try:
        lease = await ApiClient(request).post(
            f"/tasks/{task_id}/heartbeat",
            {"generation": generation if isinstance(generation, int) else None},
        )
    except ConsoleApiError as error:
        if error.status >= 500:
            raise
        return JSONResponse({"held": False, "detail": error.detail}, status_code=409)
    return JSONResponse({"held": True, "lease_expires_at": lease["lease_expires_at"]})


@router.put("/tasks/{task_id}/draft")
async def save_draft(request: Request, task_id: uuid.UUID) -> JSONResponse:
    """What the user typed, saved as they type (console.js calls this)."""
    body = await _json_body(request)
    raw = body.get("fields")
    fields = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    fields.pop(CSRF_FIELD, None)
    saved = await ApiClient(request).call(
        "PUT", f"/tasks/{task_id}/draft", json={"fields": _typed(fields)}
    )
    return JSONResponse({"saved_at": saved["saved_at"]})
