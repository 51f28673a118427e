"""Every built-in template is valid, runnable, and models its service line
(docs/service-lines.md)."""

from __future__ import annotations

from importlib import resources

import pytest

from domain.catalog import builtin_templates, parse_template
from domain.template_validation import template_problems, validate_template
from domain.templates import (
    END,
    TERMINALS,
    ApprovalStep,
    AutomatedStep,
    FanoutStep,
    HumanStep,
    Step,
    Template,
    WaitStep,
)

KEYS = [
    "billing-collections",
    "client-intake",
    "contract-review",
    "court-deadlines",
    "data-entry-coding",
    "document-review",
    "draft-qc-efile",
    "email-triage",
    "exhibit-compilation",
    "legal-research",
    "medical-records-demand",
]
# docs/service-lines.md §10.2: an attorney signs off before sending demands, filing, producing
# or billing.
ATTORNEY_GATED = [
    "billing-collections",
    "client-intake",
    "contract-review",
    "document-review",
    "exhibit-compilation",
    "legal-research",
    "medical-records-demand",
]
YAML_FILES = sorted(
    entry.name
    for entry in resources.files("domain.builtin_templates").iterdir()
    if entry.name.endswith(".yaml")
)


def test_there_is_one_builtin_per_service_line() -> None:
    assert sorted(builtin_templates()) == KEYS
    assert [f"{key}.yaml" for key in KEYS] == YAML_FILES


@pytest.mark.parametrize("filename", YAML_FILES)
def test_each_builtin_file_passes_validation(filename: str) -> None:
    text = resources.files("domain.builtin_templates").joinpath(filename).read_text("utf-8")
    template = validate_template(parse_template(text))
    assert f"{template.key}.yaml" == filename
    # The header says what it models and where in docs/service-lines.md that comes from.
    assert text.startswith("#")
    assert "docs/service-lines.md §" in text.split("\nkey:")[0]


@pytest.mark.parametrize("key", KEYS)
def test_each_loaded_builtin_has_no_problems_and_round_trips(key: str) -> None:
    template = builtin_templates()[key]
    assert template_problems(template) == []
    assert validate_template(template.model_dump(mode="json")) == template


def _scopes(template: Template) -> list[tuple[Step, ...]]:
    return [template.steps] + [s.steps for s in template.iter_steps() if isinstance(s, FanoutStep)]


def _reaches_end(steps: tuple[Step, ...]) -> set[str]:
    found = {END}
    changed = True
    while changed:
        changed = False
        for step in steps:
            if step.id not in found and found & set(step.outcomes.values()):
                found.add(step.id)
                changed = True
    return found


def _loop_members(steps: tuple[Step, ...]) -> list[set[str]]:
    """For each step that can come back to itself, the set of steps on its way back."""
    edges = {s.id: set(s.outcomes.values()) - TERMINALS for s in steps}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
        return seen

    closure = {step_id: reach(step_id) for step_id in edges}
    return [
        {other for other in closure[step_id] if step_id in closure[other]}
        for step_id in edges
        if step_id in closure[step_id]
    ]


@pytest.mark.parametrize("key", KEYS)
def test_every_step_of_a_builtin_can_still_finish(key: str) -> None:
    for steps in _scopes(builtin_templates()[key]):
        stuck = {s.id for s in steps} - _reaches_end(steps)
        assert not stuck, f"{key}: no path to 'end' from {sorted(stuck)}"


@pytest.mark.parametrize("key", KEYS)
def test_every_rework_loop_of_a_builtin_is_bounded_or_gated_by_a_person(key: str) -> None:
    """A loop carries max_rework, unless an attorney or a waiting party closes it."""
    for steps in _scopes(builtin_templates()[key]):
        by_id = {s.id: s for s in steps}
        for loop in _loop_members(steps):
            kinds = [by_id[step_id] for step_id in loop]
            bounded = any(
                isinstance(s, HumanStep | AutomatedStep) and s.max_rework is not None for s in kinds
            )
            gated = any(isinstance(s, ApprovalStep | WaitStep) for s in kinds)
            assert bounded or gated, f"{key}: unbounded loop through {sorted(loop)}"


@pytest.mark.parametrize("key", KEYS)
def test_every_qc_or_verification_step_excludes_the_person_checked(key: str) -> None:
    for step in builtin_templates()[key].iter_steps():
        if isinstance(step, HumanStep) and step.id.startswith(("qc", "sample_qc", "verify_d")):
            assert step.not_by, f"{key}: {step.id} has no separation of duties"


@pytest.mark.parametrize("key", ATTORNEY_GATED)
def test_lines_the_law_gates_have_an_attorney_approval(key: str) -> None:
    assert any(isinstance(s, ApprovalStep) for s in builtin_templates()[key].iter_steps())


def test_medical_records_fan_out_per_provider_on_the_hipaa_clock() -> None:
    template = builtin_templates()["medical-records-demand"]
    fanout = template.step("request_records")
    assert isinstance(fanout, FanoutStep)
    assert fanout.items == "providers"
    steps = {s.id: s for s in fanout.steps}
    wait = steps["await_records"]
    assert isinstance(wait, WaitStep)
    # Follow-ups at day 10 and 20; 45 CFR 164.524(b)(2)(i): 30 days after the provider's receipt.
    assert wait.reminders == ("P10D", "P20D")
    assert wait.timeout is None
    assert wait.deadline is not None
    assert wait.deadline.counted_from == ("prepare_request.provider_received_on",)
    assert (wait.deadline.days, wait.timeout_outcome) == (30, "overdue")
    assert wait.outcomes["overdue"] == "follow_up"
    assert wait.events["records_received"] == "received"
    extension = steps["await_extension"]
    assert isinstance(extension, WaitStep)
    # 164.524(b)(2)(ii): the notice's own date, and no second extension_notice.
    assert extension.deadline is not None
    assert extension.deadline.counted_from == ("await_records.expected_by",)
    assert "extension_notice" not in extension.events
    # Only the right-of-access pathway leads onto the 164.524 clock.
    prepare = steps["prepare_request"]
    assert prepare.outcomes == {
        "right_of_access_164_524": "await_records",
        "authorization_164_508": "await_authorized_records",
        "subpoena": "await_subpoena_return",
    }


def test_the_chronology_requires_a_source_citation_on_every_row() -> None:
    chronology = builtin_templates()["medical-records-demand"].step("chronology")
    assert isinstance(chronology, HumanStep)
    assert chronology.output_schema is not None
    rows = chronology.output_schema["properties"]["rows"]["items"]
    assert "source_citation" in rows["required"]


def test_document_review_fans_out_per_batch_with_the_coding_panel() -> None:
    template = builtin_templates()["document-review"]
    fanout = template.step("first_level_review")
    assert isinstance(fanout, FanoutStep)
    assert fanout.items == "batches"
    review = fanout.steps[0]
    assert isinstance(review, HumanStep)
    assert review.output_schema is not None
    coding = review.output_schema["properties"]["documents"]["items"]
    # Responsiveness and privilege are separate calls (docs/service-lines.md §4.2).
    assert {"responsiveness", "privilege", "confidentiality"} <= set(coding["required"])
    assert "privilege_basis" in coding["properties"]


def test_billing_waits_for_payment_with_the_dunning_cadence() -> None:
    wait = builtin_templates()["billing-collections"].step("await_payment")
    assert isinstance(wait, WaitStep)
    assert wait.events["payment_received"] == "paid"
    assert wait.reminders == ("P23D", "P30D", "P33D", "P45D")  # D-7, D0, D+3, D+15 on 30 days


def test_intake_first_touch_is_five_minutes_on_the_wall_clock() -> None:
    first = builtin_templates()["client-intake"].step("first_contact")
    assert first.sla is not None
    assert (first.sla.target, first.sla.calendar) == ("PT5M", "24x7")


def _undeclared_required(schema: object, path: str = "") -> list[str]:
    """Names listed in `required` that no sibling `properties` declares (typos in a builtin)."""
    found: list[str] = []
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict) and "required" in schema:
            found += [f"{path}/{name}" for name in schema["required"] if name not in properties]
        for name, value in schema.items():
            found += _undeclared_required(value, f"{path}/{name}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found += _undeclared_required(value, f"{path}/{index}")
    return found


@pytest.mark.parametrize("key", KEYS)
def test_every_required_field_of_a_builtin_schema_is_declared(key: str) -> None:
    template = builtin_templates()[key]
    assert _undeclared_required(template.input_schema) == []
    for step in template.iter_steps():
        if isinstance(step, HumanStep | ApprovalStep) and step.output_schema is not None:
            assert _undeclared_required(step.output_schema, step.id) == []


@pytest.mark.parametrize("key", KEYS)
def test_every_person_who_sends_work_back_has_a_rework_limit(key: str) -> None:
    """The interpreter counts a move to the same or an earlier listed step against the sender."""
    for steps in _scopes(builtin_templates()[key]):
        position = {s.id: i for i, s in enumerate(steps)}
        for step in steps:
            back = [
                t
                for t in step.outcomes.values()
                if position.get(t, len(steps)) <= position[step.id]
            ]
            if back and isinstance(step, HumanStep):
                assert step.max_rework is not None, f"{key}: {step.id} sends work back unbounded"
