"""Every built-in service line runs end to end through the API alone."""

from __future__ import annotations

import pytest

from domain.catalog import builtin_templates
from domain.schema_examples import example
from tests.engine.autopilot import Autopilot
from tests.harness import Stack

CLERKS = ["ana", "ben", "cara", "dev"]


@pytest.mark.parametrize("key", sorted(builtin_templates()))
async def test_builtin_template_runs_to_completion_through_the_api(floor: Stack, key: str) -> None:
    template = (await floor.call("GET", f"/templates/{key}", "maria", 200)).json()["definition"]
    inputs = example(template["input_schema"], array_items=2)
    engagement_id = await floor.create_engagement("maria", floor.user_ids["firm"], key, inputs)

    pilot = Autopilot(floor, template, "paula", CLERKS)
    done = await pilot.run(engagement_id)

    assert done["status"] == "completed", done["timeline"][-3:]
    assert done["timeline"][-1]["type"] == "engagement.completed"
    worked = {step for step, _ in pilot.taken}
    approvals = {s["id"] for s in template["steps"] if s["kind"] == "approval"}
    assert approvals <= worked | {s["id"] for s in done["steps"] if s["status"] == "pending"}
    for step in template["steps"]:
        if step["kind"] == "fanout" and step["id"] in {
            s["id"] for s in done["steps"] if s["status"] == "completed"
        }:
            fanned = next(s for s in done["steps"] if s["id"] == step["id"])
            assert sorted({i["item"] for i in fanned["items"]}) == [1, 2]  # one run per input item
    await floor.record_history(engagement_id, key)
