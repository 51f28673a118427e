"""Replay every recorded engagement history against the current workflow code.

A change to the interpreter that would make a running engagement non-deterministic fails here;
put such changes behind `workflow.patched(...)`. Record new histories with
`DOCKETFLOW_RECORD_HISTORIES=1 pytest tests/api` (see tests/harness.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.temporal import data_converter
from workers.engagement_worker import WORKFLOW_RUNNER, WORKFLOWS

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
TEXTS = {path: path.read_text() for path in HISTORIES}


def test_histories_are_recorded_for_the_walking_skeleton() -> None:
    names = {path.stem for path in HISTORIES}
    assert {"draft-qc-efile", "draft-qc-efile-court-rejection", "draft-qc-efile-cancelled"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", TEXTS[path])
    replayer = Replayer(
        workflows=WORKFLOWS, workflow_runner=WORKFLOW_RUNNER, data_converter=data_converter()
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
