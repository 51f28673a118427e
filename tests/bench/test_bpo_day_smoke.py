"""The simulated BPO day runs end to end on a real `docketflow dev` stack and writes its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_a_small_day_finishes_every_engagement_and_writes_its_results(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.bpo_day", "--engagements", "10", "--minutes", "0.5",
         "--drain-minutes", "1.5", "--clerks", "8", "--firms", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads((tmp_path / "bpo_day.json").read_text())
    assert result["engagements"]["created"] == 10
    assert result["engagements"]["by_status"] == {"completed": 10}, result["engagements"]
    assert result["floor"]["errors"] == {}, result["floor"]["first_errors"]
    assert result["step_latency_s"]["count"] > 0
    assert set(result["cpu_seconds"]) >= {"postgres", "temporal", "api", "worker", "driver"}
    assert result["machine"]["load_avg_before"]
    assert (tmp_path / "bpo_day.png").read_bytes().startswith(b"\x89PNG")
