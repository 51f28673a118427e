"""Replay every recorded engagement history against the current workflow code.

A change to the interpreter that would make a running engagement non-deterministic fails here;
put such changes behind `workflow.patched(...)`. Record new histories with
`DOCKETFLOW_RECORD_HISTORIES=1 pytest tests/api` (see tests/harness.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import Settings
from core.temporal import data_converter
from domain.catalog import builtin_templates
from domain.enums import Role
from domain.messages import workflow_id_for
from tests.harness import running_stack
from workers.engagement_worker import WORKFLOW_RUNNER, WORKFLOWS

FOLDER = Path(__file__).parent.parent / "histories"
HISTORIES = sorted(p for p in FOLDER.glob("*.json") if p.name != "workflow-ids.json")
WORKFLOW_IDS = json.loads((FOLDER / "workflow-ids.json").read_text())
TEXTS = {path: path.read_text() for path in HISTORIES}


def test_a_history_is_recorded_for_every_built_in_template() -> None:
    names = {path.stem for path in HISTORIES}
    assert set(builtin_templates()) <= names
    assert {"draft-qc-efile-court-rejection", "draft-qc-efile-cancelled"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(WORKFLOW_IDS[path.stem], TEXTS[path])
    replayer = Replayer(
        workflows=WORKFLOWS, workflow_runner=WORKFLOW_RUNNER, data_converter=data_converter()
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


async def test_a_long_engagement_continues_as_new_and_still_finishes(settings: Settings) -> None:
    """Every two steps the workflow starts a fresh run carrying its state (bounded history)."""
    short_runs = settings.model_copy(update={"steps_per_run": 2})
    async with running_stack(short_runs) as stack:
        await stack.add_user("maria", Role.MANAGER)
        await stack.add_user("carlos", Role.CLERK, ["drafting"])
        await stack.add_user("quinn", Role.CLERK, ["qc"])
        firm_id = await stack.create_firm("maria")
        await stack.add_user("paula", Role.PARTNER, firm=firm_id)
        engagement_id = await stack.create_engagement("maria", firm_id)
        for visit, outcome in ((1, "rejected"), (2, "approved")):
            draft = await stack.wait_for_task(engagement_id, "draft", "carlos", visit=visit)
            if draft["status"] == "open":
                await stack.call("POST", f"/tasks/{draft['id']}/claim", "carlos", 200)
            await stack.call(
                "POST",
                f"/tasks/{draft['id']}/complete",
                "carlos",
                200,
                json={
                    "outcome": "done",
                    "output": await stack.draft_output(engagement_id, "carlos"),
                },
            )
            qc = await stack.wait_for_task(engagement_id, "qc", "quinn", visit=visit)
            await stack.claim_and_complete(
                qc["id"], "quinn", outcome, note="round one: fix the caption"
            )
        # The QC rejection still returned the draft to carlos across runs (state carried over).
        approval = await stack.wait_for_task(engagement_id, "attorney_approval", "paula")
        await stack.claim_and_complete(approval["id"], "paula", "approved")
        done = await stack.wait_for_status(engagement_id, "completed", "maria")
        runs = [
            execution
            async for execution in stack.temporal.list_workflows(
                f"WorkflowId = '{workflow_id_for(engagement_id, firm_id)}'"
            )
        ]
    assert len(runs) >= 4  # 8 steps, two per run
    # No FRCP 5.2 exemption was claimed: its approval step is the one never visited.
    steps = {s["id"]: s for s in done["steps"]}
    assert steps.pop("exemption_approval")["status"] == "pending"
    assert {s["status"] for s in steps.values()} == {"completed"}
    assert [steps[s]["visits"] for s in ("draft", "redaction_scan", "qc")] == [2, 2, 2]
