"""The court-rule catalog: hand-computed deadlines per rule, and FRCP 6 properties.

Each row is computed by hand from the rule's text and a 2026 calendar (federal holidays:
5 U.S.C. 6103(a)); the rule and why the answer is what it is are on the row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla.court_days import compute_court_deadline, compute_court_hours
from sla.court_rules import apply_rule, court_rule, court_rules, rules_for_trigger, triggers
from sla.holiday_sources import holiday_name

HAND_COMPUTED = [
    # (rule id, trigger, service, expected, why)
    ("frcp-12a1Ai-answer", "2026-03-02", "mail", "2026-03-23",
     "12(a)(1)(A)(i): 21 days; summons served under Rule 4, so no 6(d) days even by mail"),
    ("frcp-12a2-answer-united-states", "2026-03-02", None, "2026-05-01", "12(a)(2): 60 days"),
    ("frcp-12a1Aii-answer-after-waiver", "2026-01-02", None, "2026-03-03",
     "12(a)(1)(A)(ii): 60 days after the request was sent"),
    ("frcp-12a1B-answer-counterclaim", "2026-03-02", "mail", "2026-03-26",
     "12(a)(1)(B): 21 days = Mon 3/23, + 3 mail days (6(d)) = Thu 3/26"),
    ("frcp-33b2-interrogatory-answers", "2026-03-02", "electronic", "2026-04-01",
     "33(b)(2): 30 days; electronic service adds nothing since 2016 (6(d))"),
    ("frcp-34b2A-production-response", "2026-03-02", "mail", "2026-04-06",
     "34(b)(2)(A): Wed 4/1 + 3 = Sat 4/4, rolls to Mon 4/6 (6(d), 6(a)(1)(C))"),
    ("frcp-6c1-serve-motion-before-hearing", "2026-09-21", None, "2026-09-04",
     "6(c)(1): 14 days before Mon 9/21 is Labor Day 9/7: rolls backward to Fri 9/4 (6(a)(5))"),
    ("frcp-26f-conference", "2026-02-05", None, "2026-01-15", "26(f)(1): 21 days before"),
    ("frcp-59e-alter-or-amend", "2026-10-29", "mail", "2026-11-27",
     "59(e): 28 days = Thanksgiving 11/26: rolls to Fri 11/27; entry of judgment, no 6(d)"),
    ("frap-4a1A-notice-of-appeal", "2026-06-05", None, "2026-07-06",
     "FRAP 4(a)(1)(A): 30 days = Sun 7/5: rolls to Mon 7/6"),
    ("frcp-60c1-relief-from-judgment", "2024-02-29", None, "2025-02-28",
     "60(c)(1): a year after 29 Feb is 28 Feb of the next year (the earlier day)"),
    ("usc28-1446b1-notice-of-removal", "2026-11-25", "mail", "2026-12-28",
     "1446(b)(1): 30 days = Christmas, Fri 12/25: rolls to Mon 12/28; a statute, no 6(d)"),
    ("frcp-72b2-objections-recommendation", "2026-05-11", "mail", "2026-05-29",
     "72(b)(2): 14 days = Memorial Day 5/25 -> Tue 5/26, + 3 mail days = Fri 5/29"),
]  # fmt: skip


@pytest.mark.parametrize(("rule_id", "trigger", "service", "expected", "why"), HAND_COMPUTED)
def test_rule_deadline_matches_the_hand_count(
    rule_id: str, trigger: str, service: str | None, expected: str, why: str
) -> None:
    result = apply_rule(court_rule(rule_id), date.fromisoformat(trigger), "US-FED", service)  # type: ignore[arg-type]
    assert result.deadline == date.fromisoformat(expected), why
    assert result.rule_citations[0] == court_rule(rule_id).citation


def test_the_catalog_covers_the_daily_federal_civil_triggers() -> None:
    citations = {rule.citation for rule in court_rules().values()}
    for needed in (
        "FRCP 12(a)(1)(A)(i)", "FRCP 12(a)(1)(A)(ii)", "FRCP 12(a)(2)", "FRCP 14(a)(1)",
        "FRCP 15(a)(1)(A)", "FRCP 15(a)(3)", "FRCP 26(f)(1)", "FRCP 26(a)(1)(C)",
        "FRCP 30(e)(1)", "FRCP 33(b)(2)", "FRCP 34(b)(2)(A)", "FRCP 36(a)(3)", "FRCP 50(b)",
        "FRCP 52(b)", "FRCP 56(b)", "FRCP 59(b)", "FRCP 60(c)(1)", "FRCP 72(a)",
        "FRCP 72(b)(2)", "FRAP 4(a)(1)(A)", "FRAP 4(a)(1)(B)", "FRAP 4(a)(4)(A)",
        "28 U.S.C. 1446(b)(1)",
    ):  # fmt: skip
        assert needed in citations, needed
    for rule in court_rules().values():
        assert rule.source_url.startswith("https://") and rule.source_text_date is not None


def test_variants_are_chosen_by_the_engagement_facts() -> None:
    private = {r.id for r in rules_for_trigger("judgment_entered", {"us_party": False})}
    public = {r.id for r in rules_for_trigger("judgment_entered", {"us_party": True})}
    assert "frap-4a1A-notice-of-appeal" in private - public
    assert "frap-4a1B-notice-of-appeal-united-states" in public - private
    assert "frcp-59e-alter-or-amend" in private & public


def test_hours_count_every_hour_and_a_weekend_end_runs_to_the_same_time_monday() -> None:
    # 6(a)(2)(C): 48 hours from Thu 2 Jul 2026 15:00 end Sat 4 Jul (Independence Day) 15:00.
    result = compute_court_hours(
        datetime.fromisoformat("2026-07-02T15:00:00-04:00"), 48, "US-FED", "America/New_York"
    )
    assert result.ends_at == datetime.fromisoformat("2026-07-06T15:00:00-04:00")
    assert "FRCP 6(a)(2)(C)" in result.rule_citations


def test_hours_are_elapsed_hours_across_a_dst_change() -> None:
    # 24 hours from Sat 7 Mar 2026 12:00 EST: DST starts Sun 8 Mar, so they end Sun 13:00 EDT,
    # a Sunday: the same time on Monday (6(a)(2)(B), (C)).
    result = compute_court_hours(
        datetime.fromisoformat("2026-03-07T12:00:00-05:00"), 24, "US-FED", "America/New_York"
    )
    assert result.ends_at == datetime.fromisoformat("2026-03-09T13:00:00-04:00")


def test_a_declared_holiday_extends_an_hours_period() -> None:
    result = compute_court_hours(
        datetime(2026, 1, 7, 14, tzinfo=UTC),
        24,
        "US-FED",
        "UTC",
        declared_holidays={date(2026, 1, 8): "National Day of Mourning"},
    )
    assert result.ends_at == datetime(2026, 1, 9, 14, tzinfo=UTC)
    assert "FRCP 6(a)(6)(B)" in result.rule_citations


_DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def _closed(day: date) -> bool:
    return day.weekday() >= 5 or holiday_name("US-FED", day) is not None


@given(_DAYS, st.integers(min_value=1, max_value=120), st.sampled_from(["after", "before"]))
def test_a_deadline_never_lands_on_a_weekend_or_holiday(
    trigger: date, days: int, direction: str
) -> None:
    result = compute_court_deadline(trigger, days, direction, "US-FED")  # type: ignore[arg-type]
    assert not _closed(result.deadline)


@given(_DAYS, st.integers(min_value=1, max_value=120), st.sampled_from(["mail", "clerk"]))
def test_frcp_6d_never_shortens_a_period(trigger: date, days: int, service: str) -> None:
    plain = compute_court_deadline(trigger, days, "after", "US-FED", "electronic")
    extended = compute_court_deadline(trigger, days, "after", "US-FED", service)  # type: ignore[arg-type]
    # 3 days after the period "would otherwise expire under Rule 6(a)", then rolled again.
    assert extended.deadline >= plain.deadline + timedelta(days=3)


def test_every_trigger_has_a_rule() -> None:
    for trigger in triggers():
        assert rules_for_trigger(trigger, {}) or rules_for_trigger(trigger, {"us_party": True})
