"""The manager's pages: the floor (what needs attention), the queue (every open task, filtered,
sorted, searched, exported, acted on one by one or in bulk), engagement control and new work."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.forms import FormInputError, fields_for, output_from_form
from api.console.pages import (
    PRIORITIES,
    back_to,
    firms_by_id,
    optional,
    read_form,
    read_form_lists,
    redirect,
    render,
    require_role,
    router,
    who,
    zones_of,
)
from api.console.session import ApiClient, ConsoleApiError

STAFF = ("manager", "admin")
# The queue view reads at most this many open tasks per filter set (the API's page size).
QUEUE_PAGE = 500
DUE_WINDOWS = {"overdue": timedelta(0), "4h": timedelta(hours=4), "24h": timedelta(hours=24)}
SORTS = {
    "urgency": "sla",
    "due": "due_at",
    "-due": "-due_at",
    "priority": "queue",
    "age": "created_at",
}


@router.get("/floor", response_class=HTMLResponse)
async def floor(request: Request, firm_id: str | None = None) -> HTMLResponse:
    api = ApiClient(request)
    me = await who(api)
    require_role(me, *STAFF)
    firm = firm_id or None
    queues = await api.get("/dashboard/queues", firm_id=firm)
    attention = await api.get("/dashboard/attention", firm_id=firm, limit=100)
    firms = await firms_by_id(api)
    return render(
        request,
        "floor.html",
        {
            "me": me,
            "queues": queues,
            "attention": attention,
            "firms": list(firms.values()),
            "zones": zones_of(firms),
            "firm_id": firm or "",
            "priorities": PRIORITIES,
        },
    )


def _due_filter(rows: list[dict[str, Any]], due: str) -> list[dict[str, Any]]:
    if due not in DUE_WINDOWS:
        return rows
    limit = datetime.now(UTC) + DUE_WINDOWS[due]
    return [r for r in rows if r["due_at"] and datetime.fromisoformat(r["due_at"]) <= limit]


@router.get("/queue", response_class=HTMLResponse)
async def queue_view(request: Request) -> HTMLResponse:
    """Every open or claimed task, filtered, sorted and searched; bulk actions on a selection."""
    api = ApiClient(request)
    me = await who(api)
    require_role(me, *STAFF)
    view = _view(request)
    rows = await _rows(api, view)
    firms = await firms_by_id(api)
    clerks = await optional(api, "/clerks") or []
    queues = await optional(api, "/queues") or []
    return render(
        request,
        "queue.html",
        {
            "me": me,
            "view": view,
            "rows": rows,
            "firms": firms,
            "zones": zones_of(firms),
            "clerks": clerks,
            "names": {c["user_id"]: c["username"] for c in clerks},
            "queues": [q["name"] for q in queues],
            "priorities": PRIORITIES,
            "sorts": list(SORTS),
            "query": request.url.query,
            "capped": len(rows) >= QUEUE_PAGE,
        },
    )


def _view(request: Request) -> dict[str, str]:
    keys = ("firm_id", "queue", "state", "assignee", "priority", "due", "q", "sort")
    view = {k: request.query_params.get(k, "").strip()[:200] for k in keys}
    if view["sort"] not in SORTS:
        view["sort"] = "urgency"
    return view


async def _rows(api: ApiClient, view: dict[str, str]) -> list[dict[str, Any]]:
    """The view's tasks, each with its engagement; the API filters what it can, the rest here."""
    status = view["state"] if view["state"] in ("open", "claimed") else None
    sla_state = view["state"] if view["state"] in ("on_track", "at_risk", "breached") else None
    statuses = [status] if status else ["open", "claimed"]
    rows: list[dict[str, Any]] = []
    for one in statuses:
        page = await api.get(
            "/tasks",
            status=one,
            firm_id=view["firm_id"] or None,
            queue=view["queue"] or None,
            assignee=view["assignee"] or None,
            sort=SORTS[view["sort"]],
            limit=QUEUE_PAGE,
        )
        rows += page["items"]
    if sla_state:  # the state as of now (the API's filter reads the stored clock state)
        rows = [r for r in rows if r["sla_state"] == sla_state]
    if view["priority"]:
        rows = [r for r in rows if r["priority"] == view["priority"]]
    rows = _due_filter(rows, view["due"])
    engagements = await _engagements(api, view["firm_id"])
    for row in rows:
        row["engagement"] = engagements.get(row["engagement_id"]) or {}
    if view["q"]:
        needle = view["q"].casefold()
        rows = [
            r
            for r in rows
            if needle in r["title"].casefold()
            or needle in (r["engagement"].get("title") or "").casefold()
            or needle in (r["engagement"].get("matter_ref") or "").casefold()
        ]
    if len(statuses) == 2:  # two pages merged: put them back in the asked order
        if view["sort"] == "-due":
            rows.sort(key=lambda r: r["due_at"] or "", reverse=True)
        else:
            rows.sort(key=_sort_key(view["sort"]))
    return rows


def _sort_key(sort: str) -> Any:
    far = "9999"
    urgency = {"breached": 0, "at_risk": 1}
    rank = {p: i for i, p in enumerate(PRIORITIES)}
    keys: dict[str, Any] = {
        "urgency": lambda r: (urgency.get(r["sla_state"] or "", 2), r["due_at"] or far),
        "due": lambda r: (r["due_at"] or far,),
        "priority": lambda r: (rank.get(r["priority"], 9), r["due_at"] or far),
        "age": lambda r: (r["created_at"],),
    }
    return keys[sort]


async def _engagements(api: ApiClient, firm_id: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for status in ("running", "on_hold"):
        page = await api.get("/engagements", status=status, firm_id=firm_id or None, limit=500)
        found.update({e["id"]: e for e in page["items"]})
    return found


@router.get("/queue.csv")
async def queue_csv(request: Request) -> Response:
    """The queue view as it is filtered, as a spreadsheet."""
    api = ApiClient(request)
    me = await who(api)
    require_role(me, *STAFF)
    rows = await _rows(api, _view(request))
    firms = await firms_by_id(api)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["task_id", "title", "engagement", "matter", "firm", "queue", "status", "priority",
         "sla_state", "due_at", "assignee_id"]
    )  # fmt: skip
    for r in rows:
        firm = firms.get(r["firm_id"], {})
        writer.writerow(
            [r["id"], r["title"], r["engagement"].get("title", ""),
             r["engagement"].get("matter_ref", ""), firm.get("name", ""), r["queue"], r["status"],
             r["priority"], r["sla_state"] or "", r["due_at"] or "", r["assignee_id"] or ""]
        )  # fmt: skip
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="queue.csv"'},
    )


@router.get("/tasks/{task_id}/reassign", response_class=HTMLResponse)
async def reassign_page(request: Request, task_id: uuid.UUID) -> HTMLResponse:
    """Pick who gets the task, from the people the eligibility rule allows."""
    api = ApiClient(request)
    me = await who(api)
    require_role(me, *STAFF)
    task = await api.get(f"/tasks/{task_id}")
    candidates = await api.get(f"/tasks/{task_id}/eligible-assignees")
    back = back_to(dict(request.query_params), "/queue")
    return render(
        request,
        "reassign.html",
        {"me": me, "task": task, "candidates": candidates, "back": back},
    )


@router.post("/tasks/{task_id}/assign")
async def reassign(request: Request, task_id: uuid.UUID) -> Response:
    form = await read_form(request)
    assignee = form.get("assignee", "").strip()
    if not assignee:
        raise ConsoleApiError(422, "Pick who gets the task.")
    await ApiClient(request).post(
        f"/tasks/{task_id}/assign",
        {"assignee": assignee, "reason": form.get("reason") or "reassigned from the console"},
    )
    return redirect(back_to(form, "/queue"), "assigned")


@router.post("/tasks/{task_id}/priority")
async def change_priority(request: Request, task_id: uuid.UUID) -> Response:
    form = await read_form(request)
    await ApiClient(request).post(
        f"/tasks/{task_id}/priority",
        {"priority": form.get("priority", "high"), "reason": "changed from the console"},
    )
    return redirect(back_to(form, "/floor"), "priority")


@router.post("/queue/bulk", response_class=HTMLResponse)
async def bulk(request: Request) -> Response:
    """Bulk reassign or priority: a dry run first (what would happen, item by item), then apply."""
    form, lists = await read_form_lists(request)
    api = ApiClient(request)
    me = await who(api)
    require_role(me, *STAFF)
    task_ids = lists.get("task", [])[:500]
    back = back_to(form, "/queue")
    action = form.get("action", "")
    if not task_ids:
        raise ConsoleApiError(422, "Tick at least one task first.")
    apply = form.get("confirm") == "yes"
    if action == "priority":
        result = await api.post(
            "/tasks/bulk-priority",
            {
                "task_ids": task_ids,
                "priority": form.get("priority", "high"),
                "reason": "bulk change from the console",
                "dry_run": not apply,
            },
        )
    elif action == "reassign":
        result = await api.post(
            "/tasks/bulk-reassign",
            {
                "task_ids": task_ids,
                "assignee": form.get("assignee", ""),
                "reason": "bulk reassignment from the console",
                "dry_run": not apply,
            },
        )
    else:
        raise ConsoleApiError(422, "Choose what to do with the ticked tasks.")
    if apply:
        return redirect(back, "priority" if action == "priority" else "assigned")
    titles = {}
    for task_id in task_ids:
        task = await optional(api, f"/tasks/{task_id}")
        titles[task_id] = task["title"] if task else task_id
    return render(
        request,
        "bulk.html",
        {
            "me": me,
            "action": action,
            "form": form,
            "task_ids": task_ids,
            "items": result["items"],
            "titles": titles,
            "back": back,
        },
    )


@router.post("/engagements/{engagement_id}/{control}")
async def control(request: Request, engagement_id: uuid.UUID, control: str) -> Response:
    """Hold, resume or cancel an engagement (with a reason, kept in the audit trail)."""
    form = await read_form(request)
    if control not in ("hold", "resume", "cancel"):
        raise ConsoleApiError(404, "There is no such action.")
    reason = form.get("reason", "").strip()
    if control != "resume" and not reason:
        raise ConsoleApiError(422, "Give a reason: it is kept with the engagement's history.")
    body = {"reason": reason} if control != "resume" else None
    await ApiClient(request).post(f"/engagements/{engagement_id}/{control}", body)
    notice = {"hold": "held", "resume": "resumed", "cancel": "cancelled"}[control]
    return redirect(back_to(form, f"/engagements/{engagement_id}"), notice)


@router.get("/engagements-new", response_class=HTMLResponse)
async def new_engagement_page(request: Request, template: str | None = None) -> HTMLResponse:
    return await _new_page(request, ApiClient(request), template)


async def _new_page(
    request: Request,
    api: ApiClient,
    template: str | None,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    me = await who(api)
    require_role(me, *STAFF, "partner")
    templates = await api.get("/templates")
    chosen = None
    if template:
        chosen = await api.get(f"/templates/{template}")
    firms = await firms_by_id(api)
    schema = (chosen or {}).get("definition", {}).get("input_schema")
    return render(
        request,
        "new_engagement.html",
        {
            "me": me,
            "templates": templates,
            "chosen": chosen,
            "firms": list(firms.values()),
            "fields": fields_for(schema, typed=form, errors=errors) if chosen else [],
            "form": form or {},
            "errors": errors or {},
            "error": error,
            "priorities": PRIORITIES,
        },
        status_code=status_code,
    )


@router.post("/engagements-new", response_class=HTMLResponse)
async def create_engagement(request: Request) -> Response:
    form = await read_form(request)
    api = ApiClient(request)
    key = form.get("template", "")
    chosen = await api.get(f"/templates/{key}")
    typed = {k: v for k, v in form.items() if k != "csrf"}
    problems: dict[str, str] = {}
    for name, label in (("title", "a title"), ("matter_ref", "the matter reference")):
        if not form.get(name, "").strip():
            problems[name] = f"Enter {label}."
    inputs: dict[str, Any] = {}
    try:
        inputs = output_from_form(chosen["definition"].get("input_schema"), form)
    except FormInputError as problem:
        problems.update(problem.errors)
    if problems:
        return await _new_page(
            request, api, key, form=typed, errors=problems, status_code=422,
            error="Some answers need a change: see the marked fields.",
        )  # fmt: skip
    body: dict[str, Any] = {
        "firm_id": form.get("firm_id", ""),
        "template": key,
        "title": form["title"].strip(),
        "matter_ref": form["matter_ref"].strip(),
        "priority": form.get("priority", "normal"),
        "inputs": inputs,
    }
    if form.get("court_deadline"):
        body["court_deadline"] = form["court_deadline"]
    try:
        created = await api.post("/engagements", body)
    except ConsoleApiError as refused:
        if refused.status >= 500:
            raise
        return await _new_page(
            request, api, key, form=typed, error=refused.detail, status_code=refused.status
        )
    return redirect(f"/engagements/{created['id']}", "created")
