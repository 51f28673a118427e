"""What every console page shares: the router, rendering, redirects, forms and time display."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.console.session import (
    CSRF_FIELD,
    ApiClient,
    ConsoleApiError,
    check_csrf,
    csrf_token,
    remember_csrf,
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
    "priority": "Priority changed.",
    "held": "Engagement put on hold: its SLA clocks are paused.",
    "resumed": "Engagement resumed.",
    "cancelled": "Engagement cancelled.",
    "created": "Engagement started.",
    "approved": "Approved. The next step has started.",
    "changes": "Changes requested: the work goes back to its drafter with your note.",
    "view-saved": "View saved.",
    "view-deleted": "View deleted.",
    "calendar": "Calendar link created: subscribe to it from Outlook or Google Calendar.",
    "revoked": "Calendar links revoked.",
    "signed-out": "You are signed out.",
    "uploaded": "Document uploaded: pick it in the form below.",
}
HOME_BY_ROLE = {"clerk": "work", "manager": "floor", "admin": "floor", "partner": "firm"}
PRIORITIES = ["urgent", "high", "normal", "low"]


def fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def fmt_when(value: str | None, timezone: str | None = None) -> str:
    """A time in the firm's zone with the zone shown (`… 17:00 EST`); UTC when none is known."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value)
    zone = _zone(timezone)
    if zone is None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def fmt_clock(value: str | None) -> str:
    """Time left (or overdue) until a due time, for the SLA clock."""
    if not value:
        return "no due time"
    left = (datetime.fromisoformat(value) - datetime.now(UTC)).total_seconds()
    return f"{fmt_age(left)} left" if left >= 0 else f"overdue by {fmt_age(-left)}"


def fmt_label(value: str | None) -> str:
    """A code as words: `at_risk` → `at risk`, `changes_requested` → `changes requested`."""
    return (value or "").replace("_", " ").replace(".", " ")


templates.env.filters["age"] = fmt_age
templates.env.filters["when"] = fmt_when
templates.env.filters["clock"] = fmt_clock
templates.env.filters["label"] = fmt_label


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    base: dict[str, Any] = {
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "prefix": PREFIX,
        "path": request.url.path,
        "zones": {},
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


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.get(CSRF_FIELD))
    return values


async def read_form_lists(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form's single values and its repeated ones (checkbox groups), CSRF checked."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.get(CSRF_FIELD))
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return values, lists


async def who(api: ApiClient) -> dict[str, Any]:
    me: dict[str, Any] = await api.get("/me")
    return me


def back_to(form: dict[str, str], default: str) -> str:
    """Where to return after an action: only console paths, never an outside URL."""
    target = form.get("back", "")
    return target if target.startswith("/") and not target.startswith("//") else default


async def optional(api: ApiClient, path: str, **params: Any) -> Any:
    """A read the page can do without (context the caller may not be allowed to see)."""
    try:
        return await api.get(path, **params)
    except ConsoleApiError as error:
        if error.status >= 500:
            raise
        return None


async def firms_by_id(api: ApiClient) -> dict[str, dict[str, Any]]:
    firms = await optional(api, "/firms") or []
    return {f["id"]: f for f in firms}


def zones_of(firms: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {firm_id: f.get("timezone", "") for firm_id, f in firms.items()}


def require_role(me: dict[str, Any], *roles: str) -> None:
    """A page outside the caller's role is a clean 403 page with their own navigation."""
    if me["role"] not in roles:
        raise ConsoleApiError(403, "This page is for another role. Your own pages are above.")
