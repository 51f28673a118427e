"""Template validation: each mistake in a firm's SOP is refused with a precise message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from domain.template_validation import TemplateError, parse_duration, validate_template

Data = dict[str, Any]


def sample() -> Data:
    """A small valid template touching every step kind; each case below breaks one thing."""
    return {
        "key": "sample",
        "name": "Sample",
        "input_schema": {
            "type": "object",
            "properties": {
                "batches": {"type": "array", "items": {"type": "object"}},
                "title": {"type": "string"},
            },
        },
        "steps": [
            {"id": "draft", "kind": "human", "queue": "drafting", "outcomes": {"done": "qc"}},
            {
                "id": "qc",
                "kind": "human",
                "queue": "qc",
                "not_by": ["draft"],
                "outcomes": {"approved": "scan", "rejected": "draft"},
                "reason_required": ["rejected"],
                "max_rework": 2,
                "sla": {
                    "target": "PT4H",
                    "warn_at": [0.5],
                    "escalations": [{"at": "breach", "action": "move_queue", "queue": "senior"}],
                },
            },
            {
                "id": "scan",
                "kind": "automated",
                "activity": "redaction_scan",
                "outcomes": {"clean": "review", "flagged": "draft"},
            },
            {
                "id": "review",
                "kind": "fanout",
                "items": "batches",
                "outcomes": {"done": "approve"},
                "steps": [
                    {
                        "id": "review_batch",
                        "kind": "human",
                        "queue": "review",
                        "outcomes": {"done": "sample_qc"},
                    },
                    {
                        "id": "sample_qc",
                        "kind": "human",
                        "queue": "review-qc",
                        "not_by": ["review_batch"],
                        "outcomes": {"passed": "end", "failed": "review_batch"},
                        "max_rework": 2,
                    },
                ],
            },
            {
                "id": "approve",
                "kind": "approval",
                "outcomes": {"approved": "await_court", "changes_requested": "draft"},
                "output_schema": {"type": "object", "properties": {"notes": {"type": "string"}}},
            },
            {
                "id": "await_court",
                "kind": "wait",
                "events": {"filing_accepted": "accepted", "filing_rejected": "rejected"},
                "reminders": ["P1D"],
                "timeout": "P2D",
                "timeout_outcome": "late",
                "outcomes": {"accepted": "end", "rejected": "draft", "late": "fail"},
            },
        ],
    }


def step(data: Data, step_id: str) -> Data:
    for candidate in data["steps"]:
        if candidate["id"] == step_id:
            return dict[str, Any](candidate)
        for nested in candidate.get("steps", []):
            if nested["id"] == step_id:
                return dict[str, Any](nested)
    raise KeyError(step_id)


def change(step_id: str, **fields: Any) -> Callable[[Data], None]:
    """A mutation setting fields of one step (a value of `...` deletes the field)."""

    def mutate(data: Data) -> None:
        for steps in [data["steps"], *(s.get("steps", []) for s in data["steps"])]:
            for candidate in steps:
                if candidate["id"] == step_id:
                    for name, value in fields.items():
                        if value is ...:
                            candidate.pop(name)
                        else:
                            candidate[name] = value
                    return
        raise KeyError(step_id)

    return mutate


def add_steps(*steps: Data) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        data["steps"].extend(copy.deepcopy(list(steps)))

    return mutate


def then(*mutations: Callable[[Data], None]) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


def set_top(**fields: Any) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        data.update(fields)

    return mutate


def escalate_to(step_id: str) -> Callable[[Data], None]:
    """The approval gains a third outcome leading to `step_id`; the rest of the graph is intact."""
    return change(
        "approve",
        outcomes={"approved": "await_court", "changes_requested": "draft", "escalate": step_id},
    )


def with_final_step() -> Callable[[Data], None]:
    """Approval leads to a last human step that no loop passes through."""
    return then(
        change("approve", outcomes={"approved": "final", "changes_requested": "draft"}),
        add_steps({"id": "final", "kind": "human", "queue": "q", "outcomes": {"done": "end"}}),
        drop("await_court"),
    )


def drop(step_id: str) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        data["steps"] = [s for s in data["steps"] if s["id"] != step_id]

    return mutate


def refused(data: Data) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        validate_template(data)
    return caught.value.problems


def test_the_sample_template_is_valid() -> None:
    template = validate_template(sample())
    assert template.first_step == "draft"
    assert [s.id for s in template.iter_steps()][3:6] == ["review", "review_batch", "sample_qc"]


INVALID: list[tuple[str, Callable[[Data], None], str]] = [
    # Graph shape.
    (
        "unknown_step_target",
        change("qc", outcomes={"approved": "scan", "rejected": "drafting"}),
        "step 'qc': outcome 'rejected' leads to unknown step 'drafting'",
    ),
    (
        "unreachable_step",
        add_steps({"id": "orphan", "kind": "human", "queue": "q", "outcomes": {"done": "end"}}),
        "step 'orphan' is unreachable from the first step 'draft'",
    ),
    (
        "loop_with_no_exit",
        then(
            escalate_to("ping"),
            add_steps(
                {"id": "ping", "kind": "human", "queue": "q", "outcomes": {"done": "pong"}},
                {"id": "pong", "kind": "human", "queue": "q", "outcomes": {"done": "ping"}},
            ),
        ),
        "steps 'ping', 'pong' form a loop with no exit: none of them can reach 'end'",
    ),
    (
        "loop_whose_only_exit_is_fail",
        then(
            escalate_to("ping"),
            add_steps(
                {
                    "id": "ping",
                    "kind": "human",
                    "queue": "q",
                    "outcomes": {"again": "ping", "give_up": "fail"},
                },
            ),
        ),
        "step 'ping' loops on itself with no exit: it cannot reach 'end'",
    ),
    (
        "duplicate_step_id",
        add_steps({"id": "qc", "kind": "human", "queue": "q", "outcomes": {"done": "end"}}),
        "step 'qc': duplicate step id",
    ),
    # Activities.
    (
        "unknown_activity",
        change("scan", activity="teleport"),
        "step 'scan': unknown activity 'teleport' (known: archive,",
    ),
    (
        "unmapped_activity_outcome",
        change("scan", outcomes={"clean": "review"}),
        "step 'scan': activity 'redaction_scan' can return 'flagged' but outcomes does not map it",
    ),
    (
        "outcome_the_activity_never_returns",
        change("scan", outcomes={"clean": "review", "flagged": "draft", "maybe": "end"}),
        "step 'scan': outcome 'maybe' is not an outcome of activity 'redaction_scan' "
        "(it returns clean, flagged)",
    ),
    # Malformed fields (pydantic), each naming step and field.
    (
        "malformed_field",
        change("qc", max_rework=-1),
        "step 'qc': field 'max_rework': Input should be greater than or equal to 0",
    ),
    ("missing_field", change("draft", queue=...), "step 'draft': missing required field 'queue'"),
    ("misspelt_field", change("draft", quue="x"), "step 'draft': unknown field 'quue'"),
    ("unknown_kind", change("draft", kind="humn"), "step 'draft': unknown kind 'humn'"),
    (
        "malformed_nested_field",
        change("sample_qc", outcomes={}),
        "step 'sample_qc' (in step 'review'): field 'outcomes': Dictionary should have at least 1",
    ),
    (
        "malformed_sla_field",
        change("qc", sla={"target": "PT4H", "calendar": "lunar"}),
        "step 'qc': field 'sla.calendar': Input should be 'business' or '24x7'",
    ),
    ("bad_template_key", set_top(key="Bad Key"), "template: field 'key': String should match"),
    # Durations.
    (
        "bad_duration",
        change("await_court", timeout="2 days"),
        "step 'await_court': timeout: duration '2 days' is not an ISO-8601 duration",
    ),
    (
        "calendar_month_duration",
        change("qc", sla={"target": "P1M"}),
        "step 'qc': sla.target: duration 'P1M' uses years or months",
    ),
    (
        "zero_duration",
        change("qc", sla={"target": "PT0S"}),
        "step 'qc': sla.target: duration 'PT0S' must be longer than zero",
    ),
    (
        "reminder_after_timeout",
        change("await_court", reminders=["P1D", "P3D"]),
        "step 'await_court': reminder 'P3D' is not before the timeout 'P2D'",
    ),
    (
        "bad_reminder",
        change("await_court", reminders=["tomorrow"]),
        "step 'await_court': reminders: duration 'tomorrow' is not an ISO-8601 duration",
    ),
    # JSON Schema.
    (
        "bad_output_json_schema",
        change("approve", output_schema={"type": "objekt"}),
        "step 'approve': output_schema is not valid JSON Schema",
    ),
    (
        "bad_input_json_schema",
        set_top(input_schema={"type": "object", "properties": {"batches": {"type": 5}}}),
        "template: input_schema is not valid JSON Schema at 'properties/batches/type'",
    ),
    (
        "output_schema_not_an_object",
        change("draft", output_schema={"type": "array"}),
        "step 'draft': output_schema must describe an object",
    ),
    # Wait steps.
    (
        "wait_event_mapped_to_unknown_outcome",
        change("await_court", events={"filing_accepted": "acepted", "filing_rejected": "rejected"}),
        "step 'await_court': event 'filing_accepted' maps to unknown outcome 'acepted'",
    ),
    (
        "timeout_without_timeout_outcome",
        change(
            "await_court", timeout_outcome=..., outcomes={"accepted": "end", "rejected": "draft"}
        ),
        "step 'await_court': timeout and timeout_outcome must be given together",
    ),
    (
        "timeout_outcome_not_an_outcome",
        change("await_court", timeout_outcome="expired"),
        "step 'await_court': timeout_outcome 'expired' is not an outcome",
    ),
    (
        "outcome_nothing_produces",
        change(
            "await_court",
            outcomes={"accepted": "end", "rejected": "draft", "late": "fail", "x": "end"},
        ),
        "step 'await_court': outcome 'x' is produced by no event and is not the timeout_outcome",
    ),
    # Fan-outs.
    (
        "fanout_over_a_non_array_input",
        change("review", items="title"),
        "step 'review': items 'title' must be an array in input_schema, not 'string'",
    ),
    (
        "fanout_over_a_missing_input",
        change("review", items="providers"),
        "step 'review': items 'providers' is not a property of input_schema",
    ),
    (
        "nested_step_leading_outside_its_fanout",
        change("sample_qc", outcomes={"passed": "end", "failed": "draft"}),
        "step 'sample_qc': outcome 'failed' leads to 'draft', outside fan-out 'review'",
    ),
    (
        "nested_unreachable_step",
        change("review_batch", outcomes={"done": "end"}),
        "step 'sample_qc' is unreachable from the first step 'review_batch'",
    ),
    (
        "fanout_without_done",
        change("review", outcomes={"finished": "approve"}),
        "step 'review': outcomes must map 'done'",
    ),
    (
        "fanout_item_can_fail_unmapped",
        change("sample_qc", outcomes={"passed": "end", "failed": "fail"}, max_rework=...),
        "step 'review': an item can reach 'fail' but outcomes does not map 'failed'",
    ),
    # SLA.
    (
        "warn_at_outside_0_1",
        change("qc", sla={"target": "PT4H", "warn_at": [0.5, 1.0]}),
        "step 'qc': sla.warn_at 1.0 must be a fraction strictly between 0 and 1",
    ),
    (
        "move_queue_without_queue",
        change("qc", sla={"target": "PT4H", "escalations": [{"at": 1.5, "action": "move_queue"}]}),
        "step 'qc': sla.escalations[0]: action 'move_queue' needs a queue",
    ),
    # Separation of duties, reasons and rework.
    (
        "not_by_unknown_step",
        change("qc", not_by=["drafter"]),
        "step 'qc': not_by names unknown step 'drafter'",
    ),
    (
        "not_by_a_later_step",
        then(with_final_step(), change("draft", not_by=["final"])),
        "step 'draft': not_by names 'final', which never comes before it",
    ),
    (
        "not_by_an_automated_step",
        change("qc", not_by=["scan"]),
        "step 'qc': not_by names 'scan', whose kind 'automated' is not completed by a person",
    ),
    (
        "reason_required_for_an_unknown_outcome",
        change("qc", reason_required=["refused"]),
        "step 'qc': reason_required names unknown outcome 'refused'",
    ),
    (
        "max_rework_where_nothing_loops_back",
        then(with_final_step(), change("final", max_rework=1)),
        "step 'final': max_rework is set but none of its outcomes leads back to it or to an "
        "earlier step",
    ),
    (
        # Rework is counted on the step that sends work back (qc), not on the one it returns to.
        "max_rework_on_the_step_work_returns_to",
        change("draft", max_rework=1),
        "step 'draft': max_rework is set but none of its outcomes leads back",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "expected"), [(m, e) for _, m, e in INVALID], ids=[name for name, _, _ in INVALID]
)
def test_an_invalid_template_is_refused_with_a_precise_problem(
    mutation: Callable[[Data], None], expected: str
) -> None:
    data = sample()
    mutation(data)
    problems = refused(data)
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    data = sample()
    change("qc", outcomes={"approved": "scan", "rejected": "drafting"})(data)
    change("scan", activity="teleport")(data)
    change("await_court", timeout="soon")(data)
    problems = refused(data)
    assert len(problems) == 3, problems
    assert str(TemplateError(problems)).count("\n- ") == 3


def test_every_malformed_field_is_reported_at_once() -> None:
    data = sample()
    change("draft", queue=...)(data)
    change("qc", kind="humn")(data)
    change("scan", max_attempts=0)(data)
    problems = refused(data)
    assert problems == [
        "step 'draft': missing required field 'queue'",
        "step 'qc': unknown kind 'humn' (expected 'human', 'approval', 'automated', 'wait', "
        "'fanout')",
        "step 'scan': field 'max_attempts': Input should be greater than or equal to 1",
    ]


def test_a_template_error_is_a_value_error() -> None:
    data = sample()
    data["steps"] = []
    with pytest.raises(ValueError, match="field 'steps'"):
        validate_template(data)


def test_a_nested_fanout_is_refused() -> None:
    data = sample()
    nested = copy.deepcopy(step(data, "review"))
    nested["id"] = "inner"
    nested["steps"] = [
        {"id": "inner_review", "kind": "human", "queue": "q", "outcomes": {"done": "end"}}
    ]
    change("sample_qc", outcomes={"passed": "inner", "failed": "review_batch"})(data)
    data["steps"][3]["steps"].append(nested)
    assert "step 'inner': a fan-out cannot be nested inside fan-out 'review'" in refused(data)


DURATIONS = [
    ("P30D", timedelta(days=30)),
    ("PT8H", timedelta(hours=8)),
    ("PT90S", timedelta(seconds=90)),
    ("PT5M", timedelta(minutes=5)),
    ("P1DT4H30M", timedelta(days=1, hours=4, minutes=30)),
    ("P2W", timedelta(weeks=2)),
    ("PT0.5H", timedelta(minutes=30)),
]


@pytest.mark.parametrize(("text", "expected"), DURATIONS)
def test_iso_8601_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P", "not an ISO-8601 duration"),
        ("PT", "not an ISO-8601 duration"),
        ("P1DT", "not an ISO-8601 duration"),
        ("30D", "not an ISO-8601 duration"),
        ("p30d", "not an ISO-8601 duration"),
        ("P1Y", "years or months"),
        ("P1M", "years or months"),
        ("P1MT2H", "years or months"),
        ("PT0S", "longer than zero"),
    ],
)
def test_malformed_durations_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_a_template_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(TemplateError, match="must be a mapping"):
        validate_template(["not", "a", "template"])  # type: ignore[arg-type]
