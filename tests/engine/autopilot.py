"""Drives any template to its end through the HTTP API, the way a floor of clerks would.

At each turn it looks at the engagement's open work: it claims and completes human tasks with a
clerk who may take them (skills, separation of duties), has the firm's partner take approvals,
posts the event a waiting step expects, and always picks the outcome that moves forward. Outputs
are generated from each step's JSON Schema. Nothing here knows a particular template.
"""

from __future__ import annotations

import asyncio
from typing import Any

from domain.schema_examples import DOCUMENT, example, with_document
from domain.template_routes import TemplateRoutes
from tests.harness import Stack


class Autopilot:
    def __init__(self, stack: Stack, template: dict[str, Any], partner: str, clerks: list[str]):
        self.stack = stack
        self.clerks = clerks
        self.partner = partner
        self.routes = TemplateRoutes(template)
        self.steps = self.routes.steps
        self.taken: list[tuple[str, str]] = []  # (step id, outcome) in order, for assertions

    def forward(self, step_id: str, outcomes: list[str]) -> str:
        """Never `fail`; prefer a step not visited yet, then the shortest way to the end."""
        return self.routes.forward(step_id, outcomes, [step for step, _ in self.taken])

    async def run(self, engagement_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            detail = (
                await self.stack.call("GET", f"/engagements/{engagement_id}", "maria", 200)
            ).json()
            if detail["status"] in ("completed", "failed", "cancelled"):
                return dict(detail)
            tasks = (
                await self.stack.call(
                    "GET", f"/tasks?engagement_id={engagement_id}&limit=500", "maria", 200
                )
            ).json()["items"]
            acted = False
            for task in tasks:
                if task["status"] == "waiting":
                    acted |= await self._post_event(engagement_id, task)
                elif task["status"] in ("open", "claimed"):
                    acted |= await self._work(task)
            if not acted:
                await asyncio.sleep(0.2)
        stuck = [
            (t["step_id"], t["status"], t["queue"]) for t in tasks if t["status"] != "completed"
        ]
        raise AssertionError(
            f"engagement did not finish in {timeout}s; open work {stuck}; "
            f"steps taken {self.taken}; last events {[e['type'] for e in detail['timeline'][-5:]]}"
        )

    async def _post_event(self, engagement_id: str, task: dict[str, Any]) -> bool:
        step = self.steps[task["step_id"]]
        by_outcome = {outcome: event for event, outcome in step["events"].items()}
        outcome = self.forward(step["id"], [o for o in by_outcome if o in step["outcomes"]])
        body: dict[str, Any] = {"type": by_outcome[outcome], "payload": {"note": "received"}}
        if task.get("item"):
            body["item"] = task["item"]
        response = await self.stack.call(
            "POST", f"/engagements/{engagement_id}/events", "maria", json=body
        )
        if response.status_code == 200:
            self.taken.append((step["id"], outcome))
        return response.status_code == 200

    async def _work(self, task: dict[str, Any]) -> bool:
        detail = (await self.stack.call("GET", f"/tasks/{task['id']}", "maria", 200)).json()
        people = (
            [self.partner]
            if detail["kind"] == "approval"
            else ["maria", *self.clerks]
            if detail["queue"] == "escalations"
            else self.clerks
        )
        if detail["status"] == "claimed":
            people = [p for p in people if self.stack.user_ids.get(p) == detail["assignee_id"]]
        for person in people:
            if detail["status"] == "open":
                claim = await self.stack.call("POST", f"/tasks/{task['id']}/claim", person)
                if claim.status_code != 200:
                    continue
            outcome = self.forward(detail["step_id"], detail["allowed_outcomes"])
            output = example(detail["output_schema"] or {"type": "object"})
            # An output field that names the outcome (a template's `outcome_field`) says it.
            for key, spec in (detail["output_schema"] or {}).get("properties", {}).items():
                if outcome in spec.get("enum", ()):
                    output[key] = outcome
            if DOCUMENT in str(output):
                # A document field names a real file of the engagement: upload one first.
                uploaded = await self.stack.draft_output(detail["engagement_id"], person)
                output = with_document(output, uploaded["document"])
            body: dict[str, Any] = {
                "outcome": outcome,
                "output": output,
                "note": "done by the autopilot",
            }
            done = await self.stack.call("POST", f"/tasks/{task['id']}/complete", person, json=body)
            assert done.status_code == 200, (detail["step_id"], done.text)
            self.taken.append((detail["step_id"], outcome))
            return True
        return False
