"""The web console: login, then one home per role (clerk: my work; manager: the floor; partner:
the firm's SLA dashboard). Pages are server-rendered; forms post back here (PRG: post, then
redirect), and each action is one call to the JSON API as the signed-in user (see session.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.console import charts
from api.console.forms import FormInputError, fields_for, output_from_form
from api.console.session import (
    CSRF_FIELD,
    ApiClient,
    ConsoleApiError,
    CsrfError,
    LoginRequiredError,
    check_csrf,
    csrf_token,
    end_session,
    remember_csrf,
    start_session,
)

HERE = Path(__file__).parent
PREFIX = "/console"
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix=PREFIX, include_in_schema=False)

# Notices after a redirect are codes, never free text from the URL (no content injection).
NOTICES = {
    "claimed": "Task claimed: it is yours until you complete or release it.",
    "nothing": "Nothing is eligible for you right now. Check back soon.",
    "completed": "Task completed. Thank you!",
    "pending": "Completion sent; the engine has not confirmed it yet. Refresh in a moment.",
    "released": "Task sent back to its queue.",
    "assigned": "Task reassigned.",
    "priority": "Priority raised.",
    "calendar": "Calendar link created: subscribe to it from Outlook or Google Calendar.",
    "revoked": "Calendar links revoked.",
    "signed-out": "You are signed out.",
}
HOME_BY_ROLE = {"clerk": "work", "manager": "floor", "admin": "floor", "partner": "firm"}
PRIORITIES = ["urgent", "high", "normal", "low"]


def _fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


def _fmt_when(value: str | None) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fmt_clock(value: str | None) -> str:
    """Time left (or overdue) until a due time, for the SLA clock."""
    if not value:
        return "no due time"
    left = (datetime.fromisoformat(value) - datetime.now(UTC)).total_seconds()
    return f"{_fmt_age(left)} left" if left >= 0 else f"overdue by {_fmt_age(-left)}"


templates.env.filters["age"] = _fmt_age
templates.env.filters["when"] = _fmt_when
templates.env.filters["clock"] = _fmt_clock


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    base = {
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "prefix": PREFIX,
    }
    response = templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
    remember_csrf(request, response)
    return response


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    target = f"{PREFIX}{path}"
    if notice:
        target += ("&" if "?" in target else "?") + f"notice={notice}"
    return RedirectResponse(target, status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.get(CSRF_FIELD))
    return values


async def _me(api: ApiClient) -> dict[str, Any]:
    me: dict[str, Any] = await api.get("/me")
    return me


# ----------------------------------------------------------------------------- login / home


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", {"error": None, "username": ""})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    username = form.get("username", "").strip()
    api = ApiClient(request)
    response = await api.raw(
        "POST",
        "/auth/token",
        data={"username": username, "password": form.get("password", "")},
    )
    if response.status_code != 200:
        error = (
            "Incorrect username or password."
            if response.status_code == 401
            else response.json().get("detail", "Sign-in failed; try again.")
        )
        # A 503 (database down) stays a 503: the browser's form was fine, the server was not.
        status = response.status_code if response.status_code >= 500 else 400
        page = render(
            request, "login.html", {"error": error, "username": username}, status_code=status
        )
        if "retry-after" in response.headers:
            page.headers["Retry-After"] = response.headers["retry-after"]
        return page
    body = response.json()
    home = RedirectResponse(f"{PREFIX}/", status_code=303)
    start_session(request, home, body["access_token"], int(body.get("expires_in", 3600)))
    return home


@router.post("/logout")
async def logout(request: Request) -> Response:
    await _form(request)
    response = redirect("/login", "signed-out")
    end_session(response)
    return response


@router.get("/")
async def home(request: Request) -> Response:
    me = await _me(ApiClient(request))
    return redirect(f"/{HOME_BY_ROLE.get(me['role'], 'work')}")


# ----------------------------------------------------------------------------- clerk


@router.get("/work", response_class=HTMLResponse)
async def my_work(request: Request) -> HTMLResponse:
    api = ApiClient(request)
    me = await _me(api)
    mine = await api.get("/tasks", assignee="me", status="claimed", limit=100)
    queues = await api.get("/dashboard/queues")
    return render(
        request,
        "work.html",
        {"me": me, "tasks": mine["items"], "queues": queues["queues"]},
    )


@router.post("/work/claim-next")
async def claim_next(request: Request) -> Response:
    await _form(request)
    task = await ApiClient(request).post("/tasks/claim-next")
    if task is None:
        return redirect("/work", "nothing")
    return redirect(f"/tasks/{task['id']}", "claimed")


async def _task_page(
    request: Request,
    api: ApiClient,
    task_id: uuid.UUID,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    me = await _me(api)
    task = await api.get(f"/tasks/{task_id}")
    holding = task["status"] == "claimed" and task["assignee_id"] == me["id"]
    return render(
        request,
        "task.html",
        {
            "me": me,
            "task": task,
            "holding": holding,
            "fields": fields_for(task["output_schema"], values or task.get("output")),
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def task_page(request: Request, task_id: uuid.UUID) -> HTMLResponse:
    return await _task_page(request, ApiClient(request), task_id)


@router.post("/tasks/{task_id}/claim")
async def claim(request: Request, task_id: uuid.UUID) -> Response:
    await _form(request)
    await ApiClient(request).post(f"/tasks/{task_id}/claim")
    return redirect(f"/tasks/{task_id}", "claimed")


@router.post("/tasks/{task_id}/complete", response_model=None)
async def complete(request: Request, task_id: uuid.UUID) -> Response:
    form = await _form(request)
    api = ApiClient(request)
    task = await api.get(f"/tasks/{task_id}")
    note = form.get("note", "").strip() or None
    try:
        output = output_from_form(task["output_schema"], form)
    except FormInputError as error:
        return await _task_page(request, api, task_id, error=str(error), form=form, status_code=422)
    try:
        answer = await api.post(
            f"/tasks/{task_id}/complete",
            {
                "outcome": form.get("outcome", ""),
                "output": output,
                "note": note,
                "generation": task["generation"],
            },
        )
    except ConsoleApiError as error:
        if error.status >= 500:
            raise
        return await _task_page(
            request,
            api,
            task_id,
            error=error.detail,
            values=output,
            form=form,
            status_code=error.status,
        )
    if isinstance(answer, dict) and answer.get("status") == "pending":
        return redirect("/work", "pending")
    return redirect("/work", "completed")


@router.post("/tasks/{task_id}/release", response_model=None)
async def send_back(request: Request, task_id: uuid.UUID) -> Response:
    form = await _form(request)
    api = ApiClient(request)
    reason = form.get("reason", "").strip()
    if not reason:
        return await _task_page(
            request,
            api,
            task_id,
            error="Say why you send it back (the reason is required).",
            form=form,
            status_code=422,
        )
    await api.post(f"/tasks/{task_id}/comments", {"body": f"Sent back: {reason}"})
    await api.post(f"/tasks/{task_id}/release")
    return redirect("/work", "released")


# ----------------------------------------------------------------------------- manager


@router.get("/floor", response_class=HTMLResponse)
async def floor(request: Request, firm_id: str | None = None) -> HTMLResponse:
    api = ApiClient(request)
    me = await _me(api)
    firm = firm_id or None
    queues = await api.get("/dashboard/queues", firm_id=firm)
    attention = await api.get("/dashboard/attention", firm_id=firm, limit=100)
    firms = await api.get("/firms")
    return render(
        request,
        "floor.html",
        {
            "me": me,
            "queues": queues,
            "attention": attention,
            "firms": firms,
            "firm_id": firm or "",
            "priorities": PRIORITIES,
        },
    )


@router.post("/tasks/{task_id}/assign")
async def reassign(request: Request, task_id: uuid.UUID) -> Response:
    form = await _form(request)
    assignee = form.get("assignee", "").strip()
    if not assignee:
        raise ConsoleApiError(422, "Name the clerk to give the task to.")
    await ApiClient(request).post(
        f"/tasks/{task_id}/assign",
        {"assignee": assignee, "reason": form.get("reason") or "reassigned from the console"},
    )
    return redirect(_back(form, "/floor"), "assigned")


@router.post("/tasks/{task_id}/priority")
async def raise_priority(request: Request, task_id: uuid.UUID) -> Response:
    form = await _form(request)
    await ApiClient(request).post(
        f"/tasks/{task_id}/priority",
        {"priority": form.get("priority", "high"), "reason": "raised from the console"},
    )
    return redirect(_back(form, "/floor"), "priority")


def _back(form: dict[str, str], default: str) -> str:
    """Where to return after an action: only console paths, never an outside URL."""
    target = form.get("back", "")
    return target if target.startswith("/") and not target.startswith("//") else default


# ----------------------------------------------------------------------------- engagements


@router.get("/engagements", response_class=HTMLResponse)
async def engagements_page(request: Request, status: str | None = None) -> HTMLResponse:
    api = ApiClient(request)
    me = await _me(api)
    page = await api.get("/engagements", status=status, limit=100)
    return render(request, "engagements.html", {"me": me, "page": page, "status": status or ""})


@router.get("/engagements/{engagement_id}", response_class=HTMLResponse)
async def engagement_page(request: Request, engagement_id: uuid.UUID) -> HTMLResponse:
    api = ApiClient(request)
    me = await _me(api)
    engagement = await api.get(f"/engagements/{engagement_id}")
    return render(request, "engagement.html", {"me": me, "e": engagement})


# ----------------------------------------------------------------------------- partner


@router.get("/firm", response_class=HTMLResponse)
async def firm_dashboard(
    request: Request, firm_id: str | None = None, days: int = 30
) -> HTMLResponse:
    api = ApiClient(request)
    me = await _me(api)
    firms = await api.get("/firms")
    firm = firm_id or me.get("firm_id") or (firms[0]["id"] if firms else None)
    if firm is None:
        return render(request, "firm.html", {"me": me, "firms": [], "firm": None})
    days = min(max(days, 7), 366)
    window = {"from": (datetime.now(UTC).date() - timedelta(days=days - 1)).isoformat()}
    sla = await api.get("/dashboard/sla", firm_id=firm, group_by="template", **window)
    trends = await api.get("/dashboard/trends", firm_id=firm, **window)
    queues = await api.get("/dashboard/queues", firm_id=firm)
    approvals = [
        t
        for t in (await api.get("/tasks", firm_id=firm, status="open", limit=100))["items"]
        if t["kind"] == "approval"
    ]
    engagements = await api.get("/engagements", firm_id=firm, limit=20)
    trend_chart = charts.attainment_trend(
        [charts.Point(d["day"], d["attainment_pct"]) for d in trends["days"]],
        [d["completed"] for d in trends["days"]],
    )
    breaches_chart = charts.horizontal_bars(
        "Breaches by service line",
        [charts.Point(g["key"], g["breached"]) for g in sla["groups"]],
    )
    aging_chart = charts.horizontal_bars(
        "Backlog by age",
        [charts.Point(a["bucket"], a["open"]) for a in queues["aging"]],
        colour=charts.NEUTRAL,
    )
    return render(
        request,
        "firm.html",
        {
            "me": me,
            "firms": firms,
            "firm": next((f for f in firms if f["id"] == firm), {"id": firm, "name": firm}),
            "days": days,
            "sla": sla,
            "trends": trends,
            "queues": queues,
            "approvals": approvals,
            "engagements": engagements["items"],
            "trend_chart": trend_chart,
            "breaches_chart": breaches_chart,
            "aging_chart": aging_chart,
        },
    )


@router.post("/firm/calendar-link", response_class=HTMLResponse)
async def calendar_link(request: Request) -> Response:
    form = await _form(request)
    firm = form.get("firm_id", "")
    minted = await ApiClient(request).post(f"/firms/{firm}/calendar-token")
    # Shown once, on this response only: the URL is a credential, so it is not put in a
    # redirect URL (browser history, logs).
    me = await _me(ApiClient(request))
    return render(request, "calendar.html", {"me": me, "minted": minted})


@router.post("/firm/calendar-link/revoke")
async def calendar_revoke(request: Request) -> Response:
    form = await _form(request)
    firm = form.get("firm_id", "")
    await ApiClient(request).call("DELETE", f"/firms/{firm}/calendar-token")
    return redirect(f"/firm?firm_id={firm}", "revoked")


@router.get("/export/{kind}.csv")
async def export_csv(request: Request, kind: str) -> Response:
    """The dashboards' CSV through the console session (a download link cannot send a header)."""
    if kind not in ("sla", "queues", "trends", "attention"):
        raise ConsoleApiError(404, "no such export")
    params = {
        k: v for k, v in request.query_params.items() if k in ("firm_id", "from", "to", "group_by")
    }
    response = await ApiClient(request).raw(
        "GET", f"/dashboard/{kind}", params={**params, "format": "csv"}
    )
    if response.status_code != 200:
        raise ConsoleApiError(response.status_code, response.text)
    return Response(
        response.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
    )


# ----------------------------------------------------------------------------- wiring


def install(app: FastAPI) -> None:
    """Mounts the console at `/console` (with `/` redirecting there) and its static files."""
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def _root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, _: LoginRequiredError) -> Response:
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        end_session(response)
        return response

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, _: CsrfError) -> Response:
        return render(
            request,
            "error.html",
            {
                "status": 403,
                "detail": "This form expired or came from another site. "
                "Reload the page and try again.",
            },
            status_code=403,
        )

    @app.exception_handler(ConsoleApiError)
    async def _api_error(request: Request, error: ConsoleApiError) -> Response:
        response = render(
            request,
            "error.html",
            {"status": error.status, "detail": error.detail},
            status_code=error.status,
        )
        if error.retry_after:
            response.headers["Retry-After"] = error.retry_after
        return response
