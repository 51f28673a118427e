"""Demo data for `docketflow dev`: a firm, its people, and engagements at different stages.

Everything goes through the real API (in-process), so the demo exercises the same code paths
as users do.
"""

from __future__ import annotations

import httpx

from api.app import create_app
from cli.bootstrap import add_user
from core.settings import Settings
from domain.enums import Role

DEMO_PASSWORD = "docketflow-demo"
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
    """Create the demo data once; returns the lines to print (logins)."""
    for username, role, skills in STAFF:
        await add_user(settings, username, role, DEMO_PASSWORD, None, skills)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            headers = await _login(client, "maria")
            firm = (
                (
                    await client.post(
                        "/api/v1/firms",
                        json={
                            "name": DEMO_FIRM,
                            "timezone": "America/New_York",
                            "holidays": ["US-FED", "US-NY"],
                        },
                        headers=headers,
                    )
                )
                .raise_for_status()
                .json()
            )
            await add_user(settings, "paula", Role.PARTNER, DEMO_PASSWORD, firm["id"], [])
            for title, matter, priority, case_number in MOTIONS:
                (
                    await client.post(
                        "/api/v1/engagements",
                        json={
                            "firm_id": firm["id"],
                            "template": "draft-qc-efile",
                            "title": title,
                            "matter_ref": matter,
                            "priority": priority,
                            "inputs": {
                                "court": "SDNY",
                                "case_number": case_number,
                                "document_type": "motion",
                            },
                        },
                        headers=headers,
                    )
                ).raise_for_status()
    return login_lines()


def login_lines() -> list[str]:
    people = [*((u, r.value, s) for u, r, s in STAFF), ("paula", "partner", [f"firm: {DEMO_FIRM}"])]
    return [
        f"  {username:<8} {role:<8} password {DEMO_PASSWORD}  {', '.join(extra)}"
        for username, role, extra in people
    ]


async def _login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
