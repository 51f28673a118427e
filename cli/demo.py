"""Demo data for `docketflow dev`: a firm, its people, and engagements waiting for clerks.

Everything after the users goes through the real API (in-process), so the demo exercises the
same code paths as users do. Seeding is idempotent: a second start adds only what is missing.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from api.app import create_app
from cli.bootstrap import UserError, add_user
from core.settings import Settings
from domain.enums import Role

DEMO_PASSWORD = "docketflow-demo"  # the published demo login of the local stack only
DEMO_FIRM = "Hale & Morrow LLP"
STAFF = [
    ("admin", Role.ADMIN, []),
    ("maria", Role.MANAGER, ["drafting", "qc"]),
    ("carlos", Role.CLERK, ["drafting"]),
    ("dana", Role.CLERK, ["drafting", "qc"]),
]
MOTIONS = [
    ("Motion to compel discovery responses", "HM-2024-0113", "high", "3:24-cv-01234"),
    ("Opposition to motion to dismiss", "HM-2024-0201", "urgent", "1:24-cv-05567"),
    ("Stipulation to extend time", "HM-2024-0188", "normal", "2:24-cv-00981"),
]
# Every SLA state a newcomer should see, made by court deadlines (the draft is due the deadline
# less the 24 h safety buffer): one already too close to meet (breached at once), one with an
# hour left after the buffer (at risk from half-way, i.e. 30 minutes after the first start).
DEADLINED = [
    ("Emergency motion for a TRO", "HM-2024-0233", "urgent", "3:24-cv-02201", timedelta(hours=2)),
    ("Reply in support of summary judgment", "HM-2024-0207", "high", "1:24-cv-03318",
     timedelta(hours=25)),
]  # fmt: skip
# A motion taken through drafting and QC, so an approval waits for the partner.
READY_FOR_APPROVAL = ("Notice of motion and motion to seal", "HM-2024-0219", "2:24-cv-04410")
APPROVAL_SIGNATURE = "/s/ Paula Hale"


def _motion_pdf(title: str) -> bytes:
    """A small text-searchable motion, as a word processor exports it (the draft to approve)."""
    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=letter)
    drawing.setTitle(title)
    for lines in (
        ["UNITED STATES DISTRICT COURT", "SOUTHERN DISTRICT OF NEW YORK", "", title.upper()],
        ["ARGUMENT", "The exhibits contain confidential commercial terms."],
        ["Dated: New York, New York", APPROVAL_SIGNATURE],
    ):
        y = 720
        for line in lines:
            drawing.drawString(72, y, line)
            y -= 18
        drawing.showPage()
    drawing.save()
    return out.getvalue()


async def seed_demo(settings: Settings) -> list[str]:
    """Create the demo data (what is missing of it); returns the lines to print (logins)."""
    for username, role, skills in STAFF:
        await _ensure_user(settings, username, role, None, skills)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            api = _Api(client, await _login(client, "maria"))
            if any(f["name"] == DEMO_FIRM for f in await api.get("/firms")):
                return login_lines()  # seeded by an earlier start
            firm = await api.post(
                "/firms",
                {
                    "name": DEMO_FIRM,
                    "timezone": "America/New_York",
                    "holidays": ["US-FED", "US-NY"],
                },
            )
            await _ensure_user(settings, "paula", Role.PARTNER, firm["id"], [])
            for title, matter, priority, case_number in MOTIONS:
                await _motion(api, firm["id"], title, matter, priority, case_number)
            now = datetime.now(UTC)
            for title, matter, priority, case_number, left in DEADLINED:
                await _motion(
                    api, firm["id"], title, matter, priority, case_number, deadline=now + left
                )
            await _to_approval(client, api, firm["id"])
    return login_lines()


async def _motion(
    api: _Api,
    firm_id: str,
    title: str,
    matter: str,
    priority: str,
    case_number: str,
    *,
    deadline: datetime | None = None,
) -> str:
    body: dict[str, Any] = {
        "firm_id": firm_id,
        "template": "draft-qc-efile",
        "title": title,
        "matter_ref": matter,
        "priority": priority,
        "inputs": {"court": "SDNY", "case_number": case_number, "document_type": "motion"},
    }
    if deadline is not None:
        body["court_deadline"] = deadline.isoformat()
    created = await api.post("/engagements", body)
    return str(created["id"])


async def _to_approval(client: httpx.AsyncClient, maria: _Api, firm_id: str) -> None:
    """Carlos drafts and Dana checks one motion, so the partner finds an approval waiting (with
    the draft and the QC result to decide on). Needs the worker; skipped if it is not up."""
    title, matter, case_number = READY_FOR_APPROVAL
    engagement_id = await _motion(maria, firm_id, title, matter, "normal", case_number)
    for clerk, step, outcome, output, note in (
        ("carlos", "draft", "done", {"signature": APPROVAL_SIGNATURE}, None),
        ("dana", "qc", "approved", {}, "Caption, signature block and exhibits index checked."),
    ):
        api = _Api(client, await _login(client, clerk))
        task = await _wait_for_task(api, engagement_id, step)
        if task is None:
            return
        await api.post(f"/tasks/{task['id']}/claim", {})
        if step == "draft":  # the drafter uploads the PDF the partner will preview
            document = await api.upload(
                f"/engagements/{engagement_id}/documents",
                ("motion-to-seal.pdf", _motion_pdf(title), "application/pdf"),
                {"kind": "draft", "title": title, "task_id": task["id"]},
            )
            output = {**output, "document": document["id"]}
        await api.post(
            f"/tasks/{task['id']}/complete", {"outcome": outcome, "output": output, "note": note}
        )


async def _wait_for_task(api: _Api, engagement_id: str, step: str) -> dict[str, Any] | None:
    for _ in range(300):  # 30 s: the workflow creates the task shortly after the step starts
        page = await api.get(f"/tasks?engagement_id={engagement_id}")
        found = [t for t in page["items"] if t["step_id"] == step and t["status"] != "completed"]
        if found:
            return dict(found[0])
        await asyncio.sleep(0.1)
    return None


def login_lines() -> list[str]:
    people = [*((u, r.value, s) for u, r, s in STAFF), ("paula", "partner", [f"firm: {DEMO_FIRM}"])]
    return [
        f"  {username:<8} {role:<8} password {DEMO_PASSWORD}  {', '.join(extra)}"
        for username, role, extra in people
    ]


class _Api:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self._client = client
        self._headers = headers

    async def get(self, path: str) -> Any:
        response = await self._client.get(f"/api/v1{path}", headers=self._headers)
        return response.raise_for_status().json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self._client.post(f"/api/v1{path}", json=body, headers=self._headers)
        return response.raise_for_status().json()

    async def upload(self, path: str, file: tuple[str, bytes, str], fields: dict[str, str]) -> Any:
        response = await self._client.post(
            f"/api/v1{path}", files={"file": file}, data=fields, headers=self._headers
        )
        return response.raise_for_status().json()


async def _ensure_user(
    settings: Settings, username: str, role: Role, firm: str | None, skills: list[str]
) -> None:
    try:
        await add_user(settings, username, role, DEMO_PASSWORD, firm, skills)
    except UserError as error:
        if "exists already" not in str(error):
            raise


async def _login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
