"""The web console: login, then one home per role (clerk: my work; manager: the floor and the
queue; partner: approvals and the firm's SLA dashboard). Pages are server-rendered; forms post
back here (PRG: post, then redirect), and each action is one call to the JSON API as the
signed-in user (see session.py). The pages live in work.py (the clerk's loop), manage.py (the
manager's) and here (sign-in, engagements, the partner's dashboard, alerts, wiring).
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console import charts, documents, manage, work
from api.console.pages import (
    HERE,
    HOME_BY_ROLE,
    PREFIX,
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
from api.console.session import (
    ApiClient,
    ConsoleApiError,
    CsrfError,
    LoginRequiredError,
    end_session,
    start_session,
)

__all__ = [
    "documents",
    "install",
    "manage",
    "work",
]  # the page modules register their routes on import

# Timeline entries in words (the engagement page): raw codes only for types not listed.
EVENT_WORDS = {
    "engagement.started": "Engagement started",
    "engagement.completed": "Engagement completed",
    "engagement.cancelled": "Engagement cancelled",
    "engagement.on_hold": "Put on hold",
    "engagement.held": "Put on hold",
    "engagement.resumed": "Resumed",
    "engagement.stuck": "A step failed",
    "task.created": "Task created",
    "task.escalated": "Task escalated",
    "task.completed": "Task completed",
    "step.completed": "Automated step finished",
    "sla.warning": "SLA warning",
    "sla.breached": "SLA breached",
    "sla.escalated": "SLA escalation",
}


# ----------------------------------------------------------------------------- login / home


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", {"error": None, "username": ""})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
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
    await read_form(request)
    # Revoke the token on the server too: a copied cookie stops working at once.
    with suppress(ConsoleApiError, LoginRequiredError):
        await ApiClient(request).post("/auth/logout")
    response = redirect("/login", "signed-out")
    end_session(response)
    return response


@router.get("/")
async def home(request: Request) -> Response:
    me = await who(ApiClient(request))
    return redirect(f"/{HOME_BY_ROLE.get(me['role'], 'work')}")


# ----------------------------------------------------------------------------- alerts


async def alerts_for(api: ApiClient, me: dict[str, Any], limit: int = 8) -> list[dict[str, Any]]:
    """The newest in-app alerts (GET /notifications) for roles that receive them."""
    if me["role"] not in ("manager", "admin", "partner"):
        return []
    rows: list[dict[str, Any]] = await optional(api, "/notifications", limit=500) or []
    return list(reversed(rows[-limit:]))


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request) -> HTMLResponse:
    api = ApiClient(request)
    me = await who(api)
    require_role(me, "manager", "admin", "partner")
    firms = await firms_by_id(api)
    return render(
        request,
        "alerts.html",
        {"me": me, "alerts": await alerts_for(api, me, 100), "zones": zones_of(firms)},
    )


# ----------------------------------------------------------------------------- engagements


@router.get("/engagements", response_class=HTMLResponse)
async def engagements_page(request: Request, status: str | None = None) -> HTMLResponse:
    api = ApiClient(request)
    me = await who(api)
    page = await api.get("/engagements", status=status, limit=100)
    firms = await firms_by_id(api)
    return render(
        request,
        "engagements.html",
        {
            "me": me,
            "page": page,
            "status": status or "",
            "firms": firms,
            "zones": zones_of(firms),
            "lines": await service_lines(api),
        },
    )


async def service_lines(api: ApiClient) -> dict[str, str]:
    """Template key → its name ("Drafting, QC and court e-filing"), for people to read."""
    rows = await optional(api, "/templates") or []
    return {t["key"]: t["name"] for t in rows}


@router.get("/engagements/{engagement_id}", response_class=HTMLResponse)
async def engagement_page(request: Request, engagement_id: uuid.UUID) -> HTMLResponse:
    api = ApiClient(request)
    me = await who(api)
    engagement = await api.get(f"/engagements/{engagement_id}")
    firm = await optional(api, f"/firms/{engagement['firm_id']}")
    clerks = await optional(api, "/clerks") if me["role"] in ("manager", "admin") else None
    names = {c["user_id"]: c["username"] for c in clerks or []}
    names[me["id"]] = f"{me['username']} (you)"
    return render(
        request,
        "engagement.html",
        {
            "me": me,
            "e": engagement,
            "firm": firm,
            "tz": (firm or {}).get("timezone"),
            "names": names,
            "words": EVENT_WORDS,
            "lines": await service_lines(api),
        },
    )


# ----------------------------------------------------------------------------- partner


@router.get("/firm", response_class=HTMLResponse)
async def firm_dashboard(
    request: Request, firm_id: str | None = None, days: int = 30
) -> HTMLResponse:
    api = ApiClient(request)
    me = await who(api)
    require_role(me, "manager", "admin", "partner")
    firms = list((await firms_by_id(api)).values())
    firm = firm_id or me.get("firm_id") or (firms[0]["id"] if firms else None)
    if firm is None:
        return render(request, "firm.html", {"me": me, "firms": [], "firm": None})
    days = min(max(days, 7), 366)
    window = {"from": (datetime.now(UTC).date() - timedelta(days=days - 1)).isoformat()}
    sla = await api.get("/dashboard/sla", firm_id=firm, group_by="template", **window)
    trends = await api.get("/dashboard/trends", firm_id=firm, **window)
    queues = await api.get("/dashboard/queues", firm_id=firm)
    approvals = await _approvals(api, firm)
    engagements = await api.get("/engagements", firm_id=firm, limit=20)
    lines = await service_lines(api)
    trend_chart = charts.attainment_trend(
        [charts.Point(d["day"], d["attainment_pct"]) for d in trends["days"]],
        [d["completed"] for d in trends["days"]],
    )
    # Breached = completed late in the period plus open work past its due time now: an overdue
    # task is a breach the firm feels today, long before it is completed.
    breaches_chart = charts.horizontal_bars(
        "Breaches by service line",
        [
            charts.Point(lines.get(g["key"], g["key"]), g["breached"] + g["open_breached"])
            for g in sla["groups"]
        ],
    )
    aging_chart = charts.horizontal_bars(
        "Backlog by age",
        [charts.Point(a["bucket"], a["open"]) for a in queues["aging"]],
        colour=charts.NEUTRAL,
    )
    chosen = next((f for f in firms if f["id"] == firm), {"id": firm, "name": firm})
    return render(
        request,
        "firm.html",
        {
            "me": me,
            "firms": firms,
            "firm": chosen,
            "tz": chosen.get("timezone"),
            "days": days,
            "sla": sla,
            "trends": trends,
            "queues": queues,
            "approvals": approvals,
            "engagements": engagements["items"],
            "lines": lines,
            "alerts": await alerts_for(api, me),
            "trend_chart": trend_chart,
            "breaches_chart": breaches_chart,
            "aging_chart": aging_chart,
        },
    )


async def _approvals(api: ApiClient, firm: str) -> list[dict[str, Any]]:
    """Approvals waiting (open, or held by the caller), each with its engagement and the QC
    result that came before it, so the partner decides from the dashboard."""
    found: list[dict[str, Any]] = []
    for status in ("open", "claimed"):
        page = await api.get("/tasks", firm_id=firm, status=status, sort="due_at", limit=100)
        found += [t for t in page["items"] if t["kind"] == "approval"]
    for approval in found:
        approval["engagement"] = await optional(api, f"/engagements/{approval['engagement_id']}")
        siblings = await optional(
            api, "/tasks", engagement_id=approval["engagement_id"], status="completed", limit=100
        )
        done = sorted(
            (siblings or {}).get("items", []), key=lambda t: t["completed_at"] or "", reverse=True
        )
        qc = next((t for t in done if t["queue"] == "qc"), None)
        approval["qc"] = await optional(api, f"/tasks/{qc['id']}") if qc else None
        draft = next((t for t in done if t["step_id"] == "draft"), None)
        approval["draft"] = await optional(api, f"/tasks/{draft['id']}") if draft else None
    return found


@router.post("/approvals/{task_id}")
async def decide(request: Request, task_id: uuid.UUID) -> Response:
    """Approve, or request changes with a note, in one action: claim (if open) and complete."""
    form = await read_form(request)
    api = ApiClient(request)
    me = await who(api)
    require_role(me, "partner")
    outcome = form.get("outcome", "")
    note = form.get("note", "").strip()
    if outcome != "approved" and not note:
        raise ConsoleApiError(422, "Say what should change: the note goes to the drafter.")
    task = await api.get(f"/tasks/{task_id}")
    if task["status"] == "open":
        task = await api.post(f"/tasks/{task_id}/claim")
    await api.post(
        f"/tasks/{task_id}/complete",
        {"outcome": outcome, "note": note or None, "generation": task["generation"]},
    )
    return redirect(
        f"/firm?firm_id={task['firm_id']}", "approved" if outcome == "approved" else "changes"
    )


@router.post("/firm/calendar-link", response_class=HTMLResponse)
async def calendar_link(request: Request) -> Response:
    form = await read_form(request)
    firm = form.get("firm_id", "")
    minted = await ApiClient(request).post(f"/firms/{firm}/calendar-token")
    # Shown once, on this response only: the URL is a credential, so it is not put in a
    # redirect URL (browser history, logs).
    me = await who(ApiClient(request))
    return render(request, "calendar.html", {"me": me, "minted": minted})


@router.post("/firm/calendar-link/revoke")
async def calendar_revoke(request: Request) -> Response:
    form = await read_form(request)
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


async def _navigation(request: Request) -> dict[str, Any] | None:
    """Who is signed in, so an error page still shows their own navigation."""
    try:
        me: dict[str, Any] = await ApiClient(request).get("/me")
    except (ConsoleApiError, LoginRequiredError):
        return None
    return me


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
                "me": await _navigation(request),
                "status": 403,
                "detail": "This form expired or came from another site. "
                "Reload the page and try again.",
            },
            status_code=403,
        )

    @app.exception_handler(ConsoleApiError)
    async def _api_error(request: Request, error: ConsoleApiError) -> Response:
        me = await _navigation(request) if error.status != 503 else None
        response = render(
            request,
            "error.html",
            {"me": me, "status": error.status, "detail": error.detail},
            status_code=error.status,
        )
        if error.retry_after:
            response.headers["Retry-After"] = error.retry_after
        return response
