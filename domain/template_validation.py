"""Validation of templates: parse with pydantic, then check what the models alone cannot.

Firms' SOPs are written in the template format, so a refusal must say exactly what to fix: every
problem names its step and field, and all of them are reported at once rather than one per attempt.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import ValidationError

from domain.activity_catalog import ACTIVITY_CATALOG
from domain.schema_safety import schema_safety_problems
from domain.templates import (
    END,
    FAIL,
    FANOUT_DONE,
    FANOUT_FAILED,
    FANOUT_OUTCOMES,
    TERMINALS,
    ApprovalStep,
    AutomatedStep,
    DateRule,
    FanoutStep,
    HumanStep,
    SlaSpec,
    Step,
    Template,
    WaitStep,
)

__all__ = ["TemplateError", "parse_duration", "template_problems", "validate_template"]


class TemplateError(ValueError):
    """A template refused; `problems` lists every reason, each naming its step and field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid template:\n" + "\n".join(f"- {p}" for p in self.problems))


def validate_template(data: Mapping[str, Any]) -> Template:
    """Parse and check a template (already loaded from YAML or JSON); raise `TemplateError`."""
    if not isinstance(data, Mapping):
        raise TemplateError(["template: must be a mapping with key, name and steps"])
    too_big = _size_problem(data)
    if too_big:
        raise TemplateError([too_big])
    try:
        template = Template.model_validate(dict(data))
    except ValidationError as exc:
        # Semantic checks need a parsed template, so a malformed one reports its shape only.
        raise TemplateError(_pydantic_problems(exc, data)) from None
    problems = template_problems(template)
    if problems:
        raise TemplateError(problems)
    return template


# --- size ---------------------------------------------------------------------------------------

MAX_TEMPLATE_NODES = 50_000
MAX_TEMPLATE_DEPTH = 64
MAX_TEMPLATE_TEXT = 200_000  # characters of keys and strings together


def _size_problem(data: Mapping[str, Any]) -> str | None:
    """A template is stored, sent to every engagement workflow and shown in the console: it is
    bounded before anything else looks at it (a JSON `definition` skips the YAML limits)."""
    nodes = text = 0
    todo: list[tuple[Any, int]] = [(data, 0)]
    while todo:
        node, depth = todo.pop()
        nodes += 1
        if depth > MAX_TEMPLATE_DEPTH:
            return f"template: too deep (more than {MAX_TEMPLATE_DEPTH} levels of nesting)"
        if isinstance(node, Mapping):
            text += sum(len(str(key)) for key in node)
            todo.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list | tuple):
            todo.extend((value, depth + 1) for value in node)
        elif isinstance(node, str):
            text += len(node)
        if nodes > MAX_TEMPLATE_NODES or text > MAX_TEMPLATE_TEXT:
            return (
                f"template: too large (at most {MAX_TEMPLATE_NODES} values and "
                f"{MAX_TEMPLATE_TEXT} characters of text)"
            )
    return None


# --- ISO-8601 durations --------------------------------------------------------------------------

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)
_CALENDAR_UNITS = re.compile(r"P[^T]*\d[YM].*")  # a Y or M before any T: years or months


def parse_duration(text: str) -> timedelta:
    """A positive ISO-8601 duration (`P30D`, `PT8H`, `PT90S`, `P1DT4H`, `P2W`) as a timedelta.

    Years and months are refused: they have no fixed length, and SLA targets and Temporal timers
    need one (the HIPAA and court clocks are counted in days anyway).
    """
    match = _DURATION.fullmatch(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        if _CALENDAR_UNITS.fullmatch(text):
            raise ValueError(
                f"duration {text!r} uses years or months, which have no fixed length; "
                "give it in weeks, days, hours, minutes or seconds"
            )
        raise ValueError(f"duration {text!r} is not an ISO-8601 duration such as P30D or PT8H")
    parts = {name: float(value) for name, value in match.groupdict().items() if value is not None}
    duration = timedelta(**parts)
    if duration <= timedelta(0):
        raise ValueError(f"duration {text!r} must be longer than zero")
    return duration


def _duration_problem(text: str) -> str | None:
    try:
        parse_duration(text)
    except ValueError as exc:
        return str(exc)
    return None


# --- pydantic errors to problems ----------------------------------------------------------------


def _pydantic_problems(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    errors = exc.errors()
    # Locations of lists with a failing item, e.g. ("steps",) for an error at ("steps", 1).
    item_errors = {
        e["loc"][:i] for e in errors for i, part in enumerate(e["loc"]) if isinstance(part, int)
    }
    for error in errors:
        kind = error["type"]
        if kind == "too_short" and error["loc"] in item_errors:
            # pydantic counts only the items that parsed, so a list whose items all failed is
            # also "too short": noise next to the real reasons.
            continue
        where, field = _locate(error["loc"], data)
        if kind == "missing":
            problem = f"missing required field {field}"
        elif kind == "extra_forbidden":
            problem = f"unknown field {field}"
        elif kind == "union_tag_invalid":
            problem = (
                f"unknown kind {error['ctx']['tag']!r} (expected {error['ctx']['expected_tags']})"
            )
        elif kind == "union_tag_not_found":
            problem = "missing required field 'kind'"
        elif field:
            problem = f"field {field}: {error['msg']}"
        else:
            problem = error["msg"]
        line = f"{where}: {problem}"
        if line not in problems:  # a union can report one mistake once per member
            problems.append(line)
    return problems


def _locate(loc: tuple[int | str, ...], data: Any) -> tuple[str, str]:
    """Turn a pydantic location into ("step 'qc'", "'sla.warn_at[0]'") using the raw data."""
    where = "template"
    node: Any = data
    fields: list[str] = []
    i = 0
    while i < len(loc):
        part = loc[i]
        index = loc[i + 1] if i + 1 < len(loc) else None
        if part == "steps" and not fields and isinstance(index, int):
            steps = node.get("steps") if isinstance(node, Mapping) else None
            raw: Any = None
            if isinstance(steps, list | tuple) and 0 <= index < len(steps):
                raw = steps[index]
            step_id = raw.get("id") if isinstance(raw, Mapping) else None
            label = f"step {step_id!r}" if isinstance(step_id, str) else f"step #{index + 1}"
            where = label if where == "template" else f"{label} (in {where})"
            node = raw
            i += 2
            # The discriminated union puts the step's kind in the path: it is not a field.
            if i < len(loc) and isinstance(raw, Mapping) and loc[i] == raw.get("kind"):
                i += 1
            continue
        fields.append(f"[{part}]" if isinstance(part, int) else f".{part}")
        i += 1
    field = "".join(fields).lstrip(".")
    return where, f"'{field}'" if field else ""


# --- semantic checks ----------------------------------------------------------------------------


def template_problems(template: Template) -> list[str]:
    """Every semantic problem of a parsed template (empty when it is valid)."""
    problems: list[str] = []
    _check_schema(template.input_schema, "template: input_schema", problems)
    seen: set[str] = set()
    for step in template.iter_steps():
        if step.id in seen:
            problems.append(f"step {step.id!r}: duplicate step id")
        seen.add(step.id)
    _check_scope(template, template.steps, None, problems)
    return problems


def _check_scope(
    template: Template, steps: tuple[Step, ...], fanout: FanoutStep | None, problems: list[str]
) -> None:
    """Check one pipeline: the template's top level, or the sub-pipeline of one fan-out."""
    ids = [step.id for step in steps]
    known = set(ids)
    outer = {step.id for step in template.steps} - known
    graph = _Graph(steps)
    for step in steps:
        where = f"step {step.id!r}"
        dangling = False
        for outcome, target in step.outcomes.items():
            if target in known or target in TERMINALS:
                continue
            dangling = True
            if fanout is not None and target in outer:
                problems.append(
                    f"{where}: outcome {outcome!r} leads to {target!r}, outside fan-out "
                    f"{fanout.id!r} (its steps lead only to its own steps, 'end' or 'fail')"
                )
            else:
                problems.append(f"{where}: outcome {outcome!r} leads to unknown step {target!r}")
        _check_step(step, where, problems)
        _check_dates(step, where, graph, problems)
        if isinstance(step, FanoutStep):
            if fanout is not None:
                problems.append(f"{where}: a fan-out cannot be nested inside fan-out {fanout.id!r}")
            _check_fanout(template, step, where, problems)
            _check_scope(template, step.steps, step, problems)
        if isinstance(step, HumanStep | ApprovalStep):
            _check_not_by(step, where, graph, problems)
        reworks = isinstance(step, HumanStep | AutomatedStep) and step.max_rework is not None
        # A dangling outcome is already reported; its lost edge must not cascade into this one.
        if reworks and not dangling and not graph.sends_back(step):
            problems.append(
                f"{where}: max_rework is set but none of its outcomes leads back to it or to an "
                "earlier step (rework is counted on the step that sends work back)"
            )

    first = ids[0]
    reachable = graph.reachable_from(first)
    problems.extend(
        f"step {step_id!r} is unreachable from the first step {first!r}"
        for step_id in ids
        if step_id not in reachable
    )
    can_end = graph.can_reach_end()
    for component in graph.loops():
        if component & can_end:
            continue
        names = [repr(step_id) for step_id in ids if step_id in component]
        if len(names) == 1:
            problems.append(f"step {names[0]} loops on itself with no exit: it cannot reach 'end'")
        else:
            problems.append(
                f"steps {', '.join(names)} form a loop with no exit: none of them can reach 'end'"
            )


def _check_step(step: Step, where: str, problems: list[str]) -> None:
    if step.sla is not None:
        _check_sla(step.sla, where, problems)
    if isinstance(step, HumanStep | ApprovalStep):
        if step.output_schema is not None:
            _check_schema(step.output_schema, f"{where}: output_schema", problems)
        problems.extend(
            f"{where}: reason_required names unknown outcome {outcome!r}"
            for outcome in step.reason_required
            if outcome not in step.outcomes
        )
    elif isinstance(step, AutomatedStep):
        _check_activity(step, where, problems)
    elif isinstance(step, WaitStep):
        _check_wait(step, where, problems)


def _check_activity(step: AutomatedStep, where: str, problems: list[str]) -> None:
    spec = ACTIVITY_CATALOG.get(step.activity)
    if spec is None:
        problems.append(
            f"{where}: unknown activity {step.activity!r} "
            f"(known: {', '.join(sorted(ACTIVITY_CATALOG))})"
        )
        return
    returns = ", ".join(sorted(spec.outcomes))
    problems.extend(
        f"{where}: outcome {outcome!r} is not an outcome of activity {spec.name!r} "
        f"(it returns {returns})"
        for outcome in step.outcomes
        if outcome not in spec.outcomes
    )
    problems.extend(
        f"{where}: activity {spec.name!r} can return {outcome!r} but outcomes does not map it"
        for outcome in sorted(spec.outcomes)
        if outcome not in step.outcomes
    )


def _check_wait(step: WaitStep, where: str, problems: list[str]) -> None:
    problems.extend(
        f"{where}: event {event!r} maps to unknown outcome {outcome!r}"
        for event, outcome in step.events.items()
        if outcome not in step.outcomes
    )
    if step.timeout is not None and step.deadline is not None:
        problems.append(f"{where}: give timeout or deadline, not both")
    if step.deadline is not None:
        if step.timeout_outcome is None:
            problems.append(f"{where}: deadline needs a timeout_outcome")
    elif (step.timeout is None) != (step.timeout_outcome is None):
        problems.append(f"{where}: timeout and timeout_outcome must be given together")
    problems.extend(
        f"{where}: payloads names {event!r}, which is not one of its events"
        for event in step.payloads
        if event not in step.events
    )
    for event, payload in step.payloads.items():
        _check_schema(payload.payload_schema, f"{where}: payloads.{event}.payload_schema", problems)
    if step.timeout_outcome is not None and step.timeout_outcome not in step.outcomes:
        problems.append(f"{where}: timeout_outcome {step.timeout_outcome!r} is not an outcome")
    produced = set(step.events.values()) | {step.timeout_outcome}
    problems.extend(
        f"{where}: outcome {outcome!r} is produced by no event and is not the timeout_outcome"
        for outcome in step.outcomes
        if outcome not in produced
    )
    timeout: timedelta | None = None
    if step.timeout is not None:
        problem = _duration_problem(step.timeout)
        if problem:
            problems.append(f"{where}: timeout: {problem}")
        else:
            timeout = parse_duration(step.timeout)
    previous: timedelta | None = None
    for reminder in step.reminders:
        problem = _duration_problem(reminder)
        if problem:
            problems.append(f"{where}: reminders: {problem}")
            continue
        at = parse_duration(reminder)
        if timeout is not None and at >= timeout:
            # A reminder at or after the timeout would never reach anyone before the step ends.
            problems.append(
                f"{where}: reminder {reminder!r} is not before the timeout {step.timeout!r}"
            )
        if previous is not None and at <= previous:
            problems.append(f"{where}: reminders must be in increasing order ({reminder!r})")
        previous = at


def _date_fields(step: Step) -> set[str]:
    """The fields a step captures as ISO dates: its output's, or its events' payloads'."""
    schemas: list[Any] = []
    if isinstance(step, HumanStep | ApprovalStep):
        schemas.append(step.output_schema)
    elif isinstance(step, WaitStep):
        schemas.extend(payload.payload_schema for payload in step.payloads.values())
    fields: set[str] = set()
    for schema in schemas:
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(properties, Mapping):
            fields |= {
                name
                for name, spec in properties.items()
                if isinstance(spec, Mapping) and spec.get("format") == "date"
            }
    return fields


def _captured_problem(ref: str, graph: _Graph) -> str | None:
    """Why `<step_id>.<field>` names no date captured in this pipeline (None when it does)."""
    step_id, _, field = ref.partition(".")
    source = graph.steps.get(step_id)
    if source is None:
        return f"{ref!r} names unknown step {step_id!r} (in this pipeline)"
    if field not in _date_fields(source):
        return (
            f"{ref!r}: step {step_id!r} captures no field {field!r} with format date "
            "(in its output_schema or an event's payload_schema)"
        )
    return None


def _check_dates(step: Step, where: str, graph: _Graph, problems: list[str]) -> None:
    """Deadlines and date rules name dates that some step of the same pipeline captures."""
    own: set[str] = set()
    rules: list[tuple[str, DateRule]] = []
    if isinstance(step, HumanStep):
        own = _date_fields(step)
        rules = [("date_rules", rule) for rule in step.date_rules]
        schema = step.output_schema or {}
        properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
        if step.outcome_field is not None and step.outcome_field not in properties:
            problems.append(
                f"{where}: outcome_field {step.outcome_field!r} is not a property of output_schema"
            )
    elif isinstance(step, WaitStep):
        if step.deadline is not None:
            for ref in step.deadline.counted_from:
                problem = _captured_problem(ref, graph)
                if problem:
                    problems.append(f"{where}: deadline.counted_from: {problem}")
            if step.deadline.zone is not None and not _zone_exists(step.deadline.zone):
                problems.append(f"{where}: deadline.zone {step.deadline.zone!r} is not a time zone")
        own = _date_fields(step)
        rules = [
            (f"payloads.{event}.date_rules", rule)
            for event, payload in step.payloads.items()
            for rule in payload.date_rules
        ]
    for field, rule in rules:
        if rule.field not in own:
            problems.append(f"{where}: {field}: {rule.field!r} is not a field with format date")
        for bound in (rule.not_before, rule.not_after):
            if bound is None or bound.of == "today":
                continue
            if "." in bound.of:
                problem = _captured_problem(bound.of, graph)
                if problem:
                    problems.append(f"{where}: {field}: {problem}")
            elif bound.of not in own:
                problems.append(f"{where}: {field}: {bound.of!r} is not a field with format date")


def _zone_exists(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_sla(sla: SlaSpec, where: str, problems: list[str]) -> None:
    problem = _duration_problem(sla.target)
    if problem:
        problems.append(f"{where}: sla.target: {problem}")
    problems.extend(
        f"{where}: sla.warn_at {fraction} must be a fraction strictly between 0 and 1"
        for fraction in sla.warn_at
        if not 0 < fraction < 1
    )
    for index, escalation in enumerate(sla.escalations):
        field = f"sla.escalations[{index}]"
        if escalation.at != "breach" and escalation.at <= 0:
            problems.append(f"{where}: {field}.at must be 'breach' or a fraction above 0")
        if escalation.action == "move_queue" and not escalation.queue:
            problems.append(f"{where}: {field}: action 'move_queue' needs a queue")


def _check_fanout(template: Template, step: FanoutStep, where: str, problems: list[str]) -> None:
    properties = template.input_schema.get("properties")
    spec = properties.get(step.items) if isinstance(properties, Mapping) else None
    if not isinstance(spec, Mapping):
        problems.append(f"{where}: items {step.items!r} is not a property of input_schema")
    elif not _is_array(spec.get("type")):
        problems.append(
            f"{where}: items {step.items!r} must be an array in input_schema, "
            f"not {spec.get('type')!r}"
        )
    problems.extend(
        f"{where}: outcome {outcome!r} is not a fan-out outcome (use {FANOUT_DONE!r} "
        f"or {FANOUT_FAILED!r})"
        for outcome in step.outcomes
        if outcome not in FANOUT_OUTCOMES
    )
    if FANOUT_DONE not in step.outcomes:
        problems.append(f"{where}: outcomes must map {FANOUT_DONE!r} (every item reached 'end')")
    if FANOUT_FAILED not in step.outcomes and _Graph(step.steps).can_reach(FAIL):
        problems.append(
            f"{where}: an item can reach 'fail' but outcomes does not map {FANOUT_FAILED!r}"
        )


def _is_array(json_type: Any) -> bool:
    if isinstance(json_type, list):
        return "array" in json_type
    return bool(json_type == "array")


def _check_not_by(
    step: HumanStep | ApprovalStep, where: str, graph: _Graph, problems: list[str]
) -> None:
    for other in step.not_by:
        if other == step.id:
            problems.append(f"{where}: not_by names the step itself")
        elif other not in graph.steps:
            problems.append(f"{where}: not_by names unknown step {other!r}")
        elif not isinstance(graph.steps[other], HumanStep | ApprovalStep):
            problems.append(
                f"{where}: not_by names {other!r}, whose kind {graph.steps[other].kind!r} "
                "is not completed by a person"
            )
        elif step.id not in graph.reachable_from(other):
            problems.append(f"{where}: not_by names {other!r}, which never comes before it")


def _check_schema(schema: Mapping[str, Any], where: str, problems: list[str]) -> None:
    unsafe = schema_safety_problems(schema, where)
    if unsafe:
        problems.extend(unsafe)
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(part) for part in exc.path)
        at = f" at '{path}'" if path else ""
        problems.append(f"{where} is not valid JSON Schema{at}: {exc.message}")
        return
    # Inputs and outputs are JSON objects (the API sends `inputs` and `output` as objects).
    if "type" in schema and schema["type"] != "object":
        problems.append(f"{where} must describe an object (type: object)")


# --- the step graph -----------------------------------------------------------------------------


class _Graph:
    """Steps of one pipeline as a directed graph: edges are outcomes, terminals are sinks."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps: dict[str, Step] = {}
        for step in steps:
            self.steps.setdefault(step.id, step)
        self.edges: dict[str, set[str]] = {
            step_id: {t for t in step.outcomes.values() if t in self.steps or t in TERMINALS}
            for step_id, step in self.steps.items()
        }
        self.position = {step_id: index for index, step_id in enumerate(self.steps)}
        self._components = self._strongly_connected()

    def _next(self, step: Step) -> set[str]:
        return self.edges[step.id] - TERMINALS

    def reachable_from(self, start: str) -> set[str]:
        seen = {start}
        todo = [start]
        while todo:
            for target in self.edges.get(todo.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    def can_reach(self, terminal: str) -> bool:
        return any(terminal in targets for targets in self.edges.values())

    def can_reach_end(self) -> set[str]:
        """Steps from which some path reaches 'end'."""
        found = {END}
        changed = True
        while changed:
            changed = False
            for step_id, targets in self.edges.items():
                if step_id not in found and targets & found:
                    found.add(step_id)
                    changed = True
        return found - {END}

    def loops(self) -> list[set[str]]:
        """Strongly connected sets that are real loops (two or more steps, or a self-loop)."""
        return [
            component
            for component in self._components
            if len(component) > 1 or any(s in self.edges[s] for s in component)
        ]

    def sends_back(self, step: Step) -> bool:
        """Whether an outcome leads to this step or one listed before it: the interpreter counts
        such a move as rework against the sender's max_rework (steps are listed forward)."""
        return any(self.position[target] <= self.position[step.id] for target in self._next(step))

    def _strongly_connected(self) -> list[set[str]]:
        # Tarjan's algorithm, iterative so a long template cannot hit the recursion limit.
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        components: list[set[str]] = []
        for root in self.steps:
            if root in index:
                continue
            work: list[tuple[str, list[str]]] = [(root, sorted(self.edges[root] - TERMINALS))]
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            while work:
                node, pending = work[-1]
                if pending:
                    target = pending.pop()
                    if target not in index:
                        index[target] = low[target] = len(index)
                        stack.append(target)
                        on_stack.add(target)
                        work.append((target, sorted(self.edges[target] - TERMINALS)))
                    elif target in on_stack:
                        low[node] = min(low[node], index[target])
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
        return components
