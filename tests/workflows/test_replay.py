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

from core.temporal import data_converter
from domain.catalog import builtin_templates
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
