"""The work's context beside a task's form: the engagement, what earlier steps produced, why the
work came back, and this step's earlier visits.

All of it is read through the API as the signed-in user; a part they may not read is left out
rather than failing the page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from api.console.pages import optional
from api.console.session import ApiClient

# Earlier completed tasks whose outputs are shown (most recent first); engagements rarely have more.
MAX_EARLIER = 12


@dataclass
class SendBack:
    """Why this visit exists: the earlier step that sent the work back, and what it said."""

    step_title: str
    outcome: str
    note: str | None
    reasons: list[str]
    at: str | None


@dataclass
class TaskContext:
    engagement: dict[str, Any] | None
    firm: dict[str, Any] | None
    earlier: list[dict[str, Any]] = field(default_factory=list)  # completed tasks, with outputs
    visits: list[dict[str, Any]] = field(default_factory=list)  # this step's visits, oldest first
    send_back: SendBack | None = None
    previous_output: dict[str, Any] | None = None  # this step's last completed visit's output
    qc: dict[str, Any] | None = None  # the latest completed QC-like task (approvals show it)

    @property
    def timezone(self) -> str | None:
        return (self.firm or {}).get("timezone")


def _reasons(task: dict[str, Any]) -> list[str]:
    reasons = (task.get("output") or {}).get("reasons")
    return [str(r) for r in reasons] if isinstance(reasons, list) else []


async def build(api: ApiClient, task: dict[str, Any]) -> TaskContext:
    engagement, firm, listing = await asyncio.gather(
        optional(api, f"/engagements/{task['engagement_id']}"),
        optional(api, f"/firms/{task['firm_id']}"),
        optional(api, "/tasks", engagement_id=task["engagement_id"], sort="created_at", limit=200),
    )
    rows: list[dict[str, Any]] = (listing or {}).get("items", [])
    same_step = [
        r for r in rows if r["step_id"] == task["step_id"] and r.get("item") == task.get("item")
    ]
    done = [r for r in rows if r["status"] == "completed" and r["id"] != task["id"]]
    done.sort(key=lambda r: r.get("completed_at") or "", reverse=True)
    details = await asyncio.gather(
        *(optional(api, f"/tasks/{r['id']}") for r in done[:MAX_EARLIER])
    )
    earlier = [d for d in details if d]
    context = TaskContext(
        engagement=engagement,
        firm=firm,
        earlier=earlier,
        visits=sorted(same_step, key=lambda r: r["visit"]),
    )
    mine_before = [d for d in earlier if d["step_id"] == task["step_id"]]
    if mine_before:
        context.previous_output = mine_before[0].get("output")
    if task["visit"] > 1:
        # The sender: the last task completed before this visit was created.
        sent = [d for d in earlier if (d.get("completed_at") or "") <= task["created_at"]]
        sender = next((d for d in sent if d["step_id"] != task["step_id"]), None)
        if sender is not None:
            context.send_back = SendBack(
                step_title=sender["title"],
                outcome=sender.get("outcome") or "",
                note=sender.get("note"),
                reasons=_reasons(sender),
                at=sender.get("completed_at"),
            )
        elif engagement:
            context.send_back = _automated_sender(engagement, task)
    context.qc = next((d for d in earlier if d.get("kind") == "human" and d["queue"] == "qc"), None)
    return context


def _automated_sender(engagement: dict[str, Any], task: dict[str, Any]) -> SendBack | None:
    """An automated step (a redaction scan, an e-filing) that sent the work back."""
    names = {s["id"]: s["name"] for s in engagement.get("steps", [])}
    for entry in reversed(engagement.get("timeline", [])):
        if entry["at"] > task["created_at"] or entry["type"] != "step.completed":
            continue
        detail = entry.get("detail") or {}
        findings = detail.get("findings") or detail.get("reasons") or []
        return SendBack(
            step_title=names.get(entry.get("step_id") or "", entry.get("step_id") or "a step"),
            outcome=str(detail.get("outcome", "")),
            note=detail.get("message") or detail.get("reason"),
            reasons=[str(f) for f in findings] if isinstance(findings, list) else [],
            at=entry["at"],
        )
    return None
