"""Publish-time checks of wait deadlines and date rules: each names a date some step captures."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from domain.template_validation import TemplateError, validate_template
from domain.templates import WaitStep


def records_template() -> dict[str, Any]:
    """Send a request (capturing the receipt date), then wait 30 days from that receipt."""
    return {
        "key": "records",
        "name": "Records",
        "steps": [
            {
                "id": "send",
                "kind": "human",
                "queue": "records",
                "outcomes": {"sent": "await_records"},
                "output_schema": {
                    "type": "object",
                    "properties": {
                        "sent_on": {"type": "string", "format": "date"},
                        "received_on": {"type": "string", "format": "date"},
                        "method": {"type": "string"},
                    },
                },
                "date_rules": [{"field": "received_on", "not_before": {"of": "sent_on"}}],
            },
            {
                "id": "await_records",
                "kind": "wait",
                "events": {"records_received": "received", "extension_notice": "extended"},
                "deadline": {"counted_from": "send.received_on", "days": 30},
                "timeout_outcome": "overdue",
                "payloads": {
                    "extension_notice": {
                        "payload_schema": {
                            "type": "object",
                            "properties": {"expected_by": {"type": "string", "format": "date"}},
                        },
                        "date_rules": [
                            {
                                "field": "expected_by",
                                "not_after": {"of": "send.received_on", "days": 60},
                            }
                        ],
                    }
                },
                "outcomes": {"received": "end", "extended": "end", "overdue": "end"},
            },
        ],
    }


def test_a_deadline_from_a_captured_date_is_valid() -> None:
    wait = validate_template(records_template()).step("await_records")
    assert isinstance(wait, WaitStep)
    assert wait.deadline is not None
    assert wait.deadline.counted_from == ("send.received_on",)


CASES = [
    (
        "unknown_step",
        lambda d: d["steps"][1]["deadline"].update(counted_from="mail.received_on"),
        "deadline.counted_from: 'mail.received_on' names unknown step 'mail'",
    ),
    (
        "field_not_captured",
        lambda d: d["steps"][1]["deadline"].update(counted_from="send.delivered_on"),
        "step 'send' captures no field 'delivered_on' with format date",
    ),
    (
        "field_not_a_date",
        lambda d: d["steps"][1]["deadline"].update(counted_from="send.method"),
        "step 'send' captures no field 'method' with format date",
    ),
    (
        "timeout_and_deadline",
        lambda d: d["steps"][1].update(timeout="P30D"),
        "give timeout or deadline, not both",
    ),
    (
        "deadline_without_outcome",
        lambda d: d["steps"][1].pop("timeout_outcome"),
        "deadline needs a timeout_outcome",
    ),
    (
        "bad_zone",
        lambda d: d["steps"][1]["deadline"].update(zone="Mars/Olympus"),
        "deadline.zone 'Mars/Olympus' is not a time zone",
    ),
    (
        "payload_for_unknown_event",
        lambda d: d["steps"][1]["payloads"].update(denial={"payload_schema": {"type": "object"}}),
        "payloads names 'denial', which is not one of its events",
    ),
    (
        "rule_on_a_field_that_is_no_date",
        lambda d: d["steps"][0]["date_rules"].append({"field": "method"}),
        "date_rules: 'method' is not a field with format date",
    ),
    (
        "rule_bound_not_captured",
        lambda d: d["steps"][1]["payloads"]["extension_notice"]["date_rules"][0].update(
            not_after={"of": "send.returned_on", "days": 60}
        ),
        "step 'send' captures no field 'returned_on' with format date",
    ),
    (
        "outcome_field_not_in_output",
        lambda d: d["steps"][0].update(outcome_field="pathway"),
        "outcome_field 'pathway' is not a property of output_schema",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_deadline_or_date_rule_naming_no_captured_date_is_refused(
    name: str, mutate: Any, expected: str
) -> None:
    data = copy.deepcopy(records_template())
    mutate(data)
    with pytest.raises(TemplateError) as refused:
        validate_template(data)
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems
