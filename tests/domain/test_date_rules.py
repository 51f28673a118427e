"""Date rules a template states and JSON Schema cannot: 45 CFR 164.524(b)(2) receipt and extension.

https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.524
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.catalog import builtin_templates
from domain.date_rules import date_rule_problems, latest_captured
from domain.templates import HumanStep, WaitStep

TODAY = date(2026, 3, 10)
SENT = {"sent_on": "2026-01-29", "provider_received_on": "2026-01-31"}


def _steps() -> dict[str, Any]:
    fanout = builtin_templates()["medical-records-demand"].step("request_records")
    return {s.id: s for s in getattr(fanout, "steps", ())}


def _receipt_problems(output: dict[str, str]) -> list[str]:
    prepare = _steps()["prepare_request"]
    assert isinstance(prepare, HumanStep)
    return date_rule_problems(prepare.date_rules, output, [], TODAY)


def _notice_problems(payload: dict[str, str]) -> list[str]:
    wait = _steps()["await_records"]
    assert isinstance(wait, WaitStep)
    rules = wait.payloads["extension_notice"].date_rules
    return date_rule_problems(rules, payload, [("prepare_request", SENT)], TODAY)


RECEIPTS = [
    # (sent_on, provider_received_on, refused?, why)
    ("2026-01-29", "2026-01-31", False, "received two days after it was sent"),
    ("2026-01-29", "2026-01-29", False, "faxed and received the same day"),
    ("2026-01-29", "2026-01-28", True, "received before it was sent: no such day 0"),
    ("2026-03-09", "2026-03-11", True, "received tomorrow: the clock cannot start in the future"),
]


@pytest.mark.parametrize(("sent", "received", "refused", "why"), RECEIPTS)
def test_a_receipt_date_is_between_sending_and_today(
    sent: str, received: str, refused: bool, why: str
) -> None:
    problems = _receipt_problems({"sent_on": sent, "provider_received_on": received})
    assert bool(problems) is refused, (why, problems)
    if refused:
        assert "provider_received_on" in problems[0]
        assert "164.524(b)(2)(i)" in problems[0]


NOTICES = [
    # (notice received, expected by, refused?, why) with receipt on 2026-01-31
    ("2026-02-20", "2026-04-01", False, "164.524(b)(2)(ii): day 60 is Apr 1 (2026, not leap)"),
    ("2026-02-20", "2026-04-02", True, "164.524(b)(2)(ii): day 61 is past the one extension"),
    ("2026-02-20", "2026-02-19", True, "a date before the notice itself"),
    ("2026-03-02", "2026-03-20", False, "164.524(b)(2)(ii)(A): notice on day 30 is in time"),
    ("2026-03-03", "2026-03-20", True, "164.524(b)(2)(ii)(A): notice on day 31 is too late"),
]


@pytest.mark.parametrize(("notice", "expected_by", "refused", "why"), NOTICES)
def test_an_extension_notice_states_a_date_within_day_60_of_receipt(
    notice: str, expected_by: str, refused: bool, why: str
) -> None:
    problems = _notice_problems(
        {"notice_received_on": notice, "reasons": "archived off site", "expected_by": expected_by}
    )
    assert bool(problems) is refused, (why, problems)


def test_the_day_60_refusal_names_the_rule_and_the_limit() -> None:
    problems = _notice_problems(
        {"notice_received_on": "2026-02-20", "reasons": "backlog", "expected_by": "2026-04-02"}
    )
    assert problems == [
        "expected_by 2026-04-02 is after day 60 after prepare_request.provider_received_on "
        "(2026-04-01) (45 CFR 164.524(b)(2)(ii): at most 30 days beyond the first 30, day 60)"
    ]


def test_the_latest_capture_of_any_source_wins() -> None:
    outputs = [
        ("prepare_request", {"provider_received_on": "2026-01-31"}),
        ("follow_up", {"note": "no date"}),
        ("confirm", {"received_on": "2026-02-02"}),
    ]
    sources = ["prepare_request.provider_received_on", "confirm.received_on"]
    assert latest_captured(sources, outputs) == ("confirm.received_on", date(2026, 2, 2))
    assert latest_captured(["prepare_request.provider_received_on"], outputs[1:]) is None
