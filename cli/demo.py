"""Demo data for `docketflow dev`: a firm, its people, and engagements waiting for clerks.

Everything after the users goes through the real API (in-process), so the demo exercises the
same code paths as users do. Seeding is idempotent: a second start adds only what is missing.
"""

from __future__ import annotations

from typing import Any

import httpx

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
                inputs = {"court": "SDNY", "case_number": case_number, "document_type": "motion"}
                await api.post(
                    "/engagements",
                    {
                        "firm_id": firm["id"],
                        "template": "draft-qc-efile",
                        "title": title,
                        "matter_ref": matter,
                        "priority": priority,
                        "inputs": inputs,
                    },
                )
    return login_lines()


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
