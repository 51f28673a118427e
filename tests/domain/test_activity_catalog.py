"""The activity registry is the contract between templates and the worker's activities."""

from __future__ import annotations

import re

import pytest

from domain.activity_catalog import ACTIVITY_CATALOG

EXPECTED_OUTCOMES = [
    ("efile_submit", {"accepted", "rejected"}),
    ("redaction_scan", {"clean", "flagged"}),
    ("filing_redaction_scan", {"clean", "flagged", "exemption_claimed"}),
    ("citation_check", {"verified", "problems"}),
    ("completeness_check", {"complete", "incomplete"}),
    ("invoice_generate", {"generated", "invalid"}),
    ("conflict_check", {"clear", "conflict"}),
    ("deadline_compute", {"computed"}),
    ("send_document", {"sent"}),
    ("email_classify", {"urgent", "routine", "spam"}),
    ("privilege_log_generate", {"generated"}),
    ("exhibit_stamp", {"stamped"}),
    ("production_volume", {"built"}),
    ("archive", {"archived"}),
]


@pytest.mark.parametrize(("name", "outcomes"), EXPECTED_OUTCOMES)
def test_each_activity_returns_exactly_its_documented_outcomes(
    name: str, outcomes: set[str]
) -> None:
    assert ACTIVITY_CATALOG[name].outcomes == outcomes


def test_the_catalog_holds_exactly_the_documented_activities() -> None:
    assert set(ACTIVITY_CATALOG) == {name for name, _ in EXPECTED_OUTCOMES}


@pytest.mark.parametrize("name", sorted(ACTIVITY_CATALOG))
def test_names_and_outcomes_are_snake_case_and_described(name: str) -> None:
    spec = ACTIVITY_CATALOG[name]
    assert spec.name == name
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", outcome) for outcome in spec.outcomes)
    assert spec.description.strip()


def test_the_redaction_scan_covers_the_frcp_5_2_identifiers() -> None:
    description = ACTIVITY_CATALOG["redaction_scan"].description
    for identifier in ("SSN", "TIN", "birth date", "minors' names", "financial-account"):
        assert identifier in description


def test_invoices_are_ledes_1998b() -> None:
    assert "LEDES 1998B" in ACTIVITY_CATALOG["invoice_generate"].description
