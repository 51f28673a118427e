"""The built-in templates compressed in time, and what a simulated person puts into them.

Compression: the simulated working day (8 hours) runs in `minutes` of wall time, so every
duration is divided by `scale = 8 h / minutes`. Business-calendar SLA targets become 24x7 targets
of the same length divided by `scale` (the simulated day is all business hours: a business hour
is a simulated hour); 24x7 targets, wait timeouts and wait reminders are divided by `scale` too
(at least 1 s). Nothing else changes: steps, outcomes, schemas and rework limits are the
built-ins' own, published under the key `day-<built-in key>` so the built-ins stay untouched.
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta
from typing import Any

from domain.template_routes import TemplateRoutes
from domain.template_validation import parse_duration
from domain.templates import FAIL

WORKING_DAY = timedelta(hours=8)
KEY_PREFIX = "day-"


def _iso_seconds(duration: timedelta, scale: float) -> str:
    return f"PT{max(1, round(duration.total_seconds() / scale))}S"


def _scale_steps(steps: list[dict[str, Any]], scale: float) -> None:
    for step in steps:
        sla = step.get("sla")
        if sla:
            sla["target"] = _iso_seconds(parse_duration(sla["target"]), scale)
            sla["calendar"] = "24x7"
        if step["kind"] == "wait":
            if step.get("timeout"):
                step["timeout"] = _iso_seconds(parse_duration(step["timeout"]), scale)
            if step.get("reminders"):
                step["reminders"] = [
                    _iso_seconds(parse_duration(r), scale) for r in step["reminders"]
                ]
        if step["kind"] == "fanout":
            _scale_steps(step["steps"], scale)


def compressed(definition: dict[str, Any], scale: float) -> dict[str, Any]:
    """A copy of a published template's definition with its durations divided by `scale`."""
    scaled = copy.deepcopy(definition)
    scaled.pop("version", None)
    scaled["key"] = KEY_PREFIX + definition["key"]
    scaled["name"] = f"{definition['name']} (a day in {scale:g}x time)"
    _scale_steps(scaled["steps"], scale)
    return scaled


class Route(TemplateRoutes):
    """A template's routes as the simulated floor takes them: the main path, sometimes back."""

    def main_path(self, step_id: str, outcomes: list[str], visited: list[str]) -> str:
        """The usual outcome: the built-in templates list it first (`done`, `approved`, `clear`,
        `matched`, `received`). Once its target has been visited twice (a loop that keeps
        coming round), the shortest way to the end instead."""
        mapping = self.steps[step_id]["outcomes"]
        back = self.send_backs(step_id, outcomes)
        for outcome in mapping:
            if outcome in outcomes and outcome not in back and mapping[outcome] != FAIL:
                if visited.count(mapping[outcome]) < 2:
                    return str(outcome)
                break
        return self.forward(step_id, outcomes, visited)

    def choose(
        self, step_id: str, outcomes: list[str], visited: list[str], visit: int, p_back: float
    ) -> str:
        """The main path, except a first visit sends back with probability `p_back` where it
        can (a QC rejection, an attorney's changes requested)."""
        back = self.send_backs(step_id, outcomes)
        if back and visit == 1 and random.random() < p_back:
            return random.choice(back)
        return self.main_path(step_id, outcomes, visited)

    def main_event(self, step_id: str, visited: list[str]) -> str:
        """The event of a wait's main outcome (records received, the client signed)."""
        step = self.steps[step_id]
        by_outcome = {outcome: event for event, outcome in step["events"].items()}
        outcome = self.main_path(step_id, [o for o in by_outcome if o in step["outcomes"]], visited)
        return str(by_outcome[outcome])
