"""Where each outcome of a template's steps leads, read from its definition: forward towards the
end, or back to an earlier step. What the engine tests' autopilot and the simulated BPO day use to
pick the outcome a person would (never `fail`, the main path first)."""

from __future__ import annotations

from typing import Any

from domain.templates import END, FAIL


class TemplateRoutes:
    """The steps of a template definition (fan-out sub-steps included) and their outcomes."""

    def __init__(self, definition: dict[str, Any]) -> None:
        self.steps: dict[str, dict[str, Any]] = {}
        self.position: dict[str, int] = {}
        self._index(definition["steps"])

    def _index(self, steps: list[dict[str, Any]]) -> None:
        for number, step in enumerate(steps):
            self.steps[step["id"]] = step
            self.position[step["id"]] = number
            if step["kind"] == "fanout":
                self._index(step["steps"])

    def _distance_to_end(self, step_id: str) -> int:
        """Fewest steps from `step_id` to the end of its pipeline (fail does not count)."""
        frontier, seen, hops = {step_id}, {step_id}, 0
        while frontier:
            hops += 1
            targets = {t for s in frontier for t in self.steps[s]["outcomes"].values()}
            if END in targets:
                return hops
            frontier = {t for t in targets if t not in (FAIL, *seen)}
            seen |= frontier
        return 1_000

    def forward(self, step_id: str, outcomes: list[str], visited: list[str]) -> str:
        """Never `fail`; prefer a step not visited yet, then the shortest way to the end."""
        mapping = self.steps[step_id]["outcomes"]

        def rank(outcome: str) -> tuple[int, int, int]:
            target = mapping.get(outcome, FAIL)
            if target == FAIL:
                return (1, 0, 0)
            if target == END:
                return (0, 0, 0)
            return (0, visited.count(target), self._distance_to_end(target))

        return min(outcomes, key=rank)

    def send_backs(self, step_id: str, outcomes: list[str]) -> list[str]:
        """Outcomes that return the work to an earlier step (a QC rejection, changes requested)."""
        mapping, here = self.steps[step_id]["outcomes"], self.position[step_id]
        return [
            o
            for o in outcomes
            if mapping.get(o) in self.position and self.position[mapping[o]] < here
        ]
