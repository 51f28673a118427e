"""FRCP 6(a)/6(d) day counting, table-driven from the published examples
(docs/service-lines.md §3.1)."""

from datetime import date

import pytest

from sla.court_days import Direction, Service, compute_court_deadline, list_jurisdictions

# (name, trigger, days, direction, jurisdiction, service, inaccessible, expected)
PUBLISHED_EXAMPLES: list[
    tuple[str, date, int, Direction, str, Service | None, frozenset[date], date]
] = [
    # Committee note to the 2009 amendments: day 10 is Sat 1 Sep 2007, Mon 3 Sep is Labor Day.
    (
        "ten_days_after_skips_weekend_and_labor_day",
        date(2007, 8, 22), 10, "after", "US-FED", None, frozenset(), date(2007, 9, 4),
    ),
    (
        "ten_days_before_rolls_backward_to_friday",
        date(2007, 9, 11), 10, "before", "US-FED", None, frozenset(), date(2007, 8, 31),
    ),
    (
        "inaccessible_office_on_backward_deadline_extends_forward",
        date(2007, 9, 11), 10, "before", "US-FED", None, frozenset({date(2007, 8, 31)}),
        date(2007, 9, 4),
    ),
    # Juneteenth (Fri 19 Jun 2026) is an intermediate day and is counted.
    (
        "juneteenth_is_counted_and_sunday_rolls_to_monday",
        date(2026, 6, 18), 3, "after", "US-FED", None, frozenset(), date(2026, 6, 22),
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("trigger", "days", "direction", "jurisdiction", "service", "inaccessible", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in PUBLISHED_EXAMPLES],
)
def test_published_frcp_examples(
    trigger: date,
    days: int,
    direction: Direction,
    jurisdiction: str,
    service: Service | None,
    inaccessible: frozenset[date],
    expected: date,
) -> None:
    result = compute_court_deadline(trigger, days, direction, jurisdiction, service, inaccessible)
    assert result.deadline == expected


def test_ten_days_before_rolls_backward_to_friday() -> None:
    result = compute_court_deadline(date(2007, 9, 11), 10, "before", "US-FED")
    assert result.deadline == date(2007, 8, 31)
    assert "FRCP 6(a)(5)" in result.rule_citations
    assert any("rolls backward to Fri 2007-08-31" in line for line in result.explanation)


def test_juneteenth_example_explains_every_step() -> None:
    result = compute_court_deadline(date(2026, 6, 18), 3, "after", "US-FED")
    assert result.explanation[0] == "Trigger Thu 2026-06-18 excluded (FRCP 6(a)(1)(A))"
    assert "Juneteenth" in result.explanation[1]
    assert result.explanation[2] == (
        "Day 3 is Sun 2026-06-21, a weekend: rolls forward to Mon 2026-06-22 (FRCP 6(a)(1)(C))"
    )
    assert result.explanation[-1] == "Deadline: Mon 2026-06-22"
    assert result.rule_citations == ["FRCP 6(a)(1)(A)", "FRCP 6(a)(1)(B)", "FRCP 6(a)(1)(C)"]


def test_labor_day_roll_names_the_holiday_and_its_rule() -> None:
    result = compute_court_deadline(date(2007, 8, 22), 10, "after", "US-FED")
    roll = result.explanation[2]
    assert "Labor Day" in roll
    assert "Tue 2007-09-04" in roll
    assert "FRCP 6(a)(6)(A)" in result.rule_citations


def test_inaccessible_office_explanation_cites_6a3() -> None:
    result = compute_court_deadline(
        date(2007, 9, 11), 10, "before", "US-FED", inaccessible=frozenset({date(2007, 8, 31)})
    )
    assert result.period_end == date(2007, 9, 4)
    assert "FRCP 6(a)(3)(A)" in result.rule_citations
    assert any("inaccessible on Fri 2007-08-31" in line for line in result.explanation)


def test_inaccessible_office_on_a_day_that_is_not_the_last_day_changes_nothing() -> None:
    result = compute_court_deadline(
        date(2007, 8, 22), 10, "after", "US-FED", inaccessible=frozenset({date(2007, 8, 31)})
    )
    assert result.deadline == date(2007, 9, 4)


def test_consecutive_inaccessible_days_extend_past_all_of_them() -> None:
    # Last day Thu 2026-06-18; office closed Thu and Mon, Fri is Juneteenth -> Tue 23 Jun.
    closed = frozenset({date(2026, 6, 18), date(2026, 6, 22)})
    result = compute_court_deadline(date(2026, 6, 4), 14, "after", "US-FED", inaccessible=closed)
    assert result.deadline == date(2026, 6, 23)


def test_observed_independence_day_is_a_legal_holiday() -> None:
    # Sat 4 Jul 2026 is observed Fri 3 Jul: a last day on the 3rd runs to Mon 6 Jul.
    result = compute_court_deadline(date(2026, 6, 23), 10, "after", "US-FED")
    assert result.deadline == date(2026, 7, 6)


def test_weekday_last_day_stands() -> None:
    result = compute_court_deadline(date(2026, 3, 2), 21, "after", "US-FED")
    assert result.deadline == date(2026, 3, 23)
    assert "a court day" in result.explanation[2]


# FRCP 6(d): (service, expected deadline) for a 14-day period served Thu 2026-06-04; the 6(a)
# date is Thu 2026-06-18, +3 = Sun 2026-06-21 which re-rolls to Mon 2026-06-22.
SERVICE_CASES: list[tuple[Service | None, date]] = [
    ("mail", date(2026, 6, 22)),
    ("clerk", date(2026, 6, 22)),
    ("other_consented", date(2026, 6, 22)),
    ("electronic", date(2026, 6, 18)),
    ("personal", date(2026, 6, 18)),
    (None, date(2026, 6, 18)),
]


@pytest.mark.parametrize(("service", "expected"), SERVICE_CASES)
def test_rule_6d_adds_three_days_only_for_mail_clerk_and_consented_service(
    service: Service | None, expected: date
) -> None:
    result = compute_court_deadline(date(2026, 6, 4), 14, "after", "US-FED", service)
    assert result.deadline == expected
    assert result.period_end == date(2026, 6, 18)


def test_electronic_service_gets_no_three_extra_days_since_2016_amendment() -> None:
    # Regression: several calculators still add 3 days for e-service (removed 1 Dec 2016).
    result = compute_court_deadline(date(2026, 6, 4), 14, "after", "US-FED", "electronic")
    assert result.deadline == date(2026, 6, 18)
    assert any("no days added" in line and "2016-12-01" in line for line in result.explanation)


def test_mail_service_days_landing_on_a_holiday_re_roll() -> None:
    # 6(a) date Tue 2026-06-16; +3 = Fri 2026-06-19 (Juneteenth) -> Mon 2026-06-22.
    result = compute_court_deadline(date(2026, 6, 2), 14, "after", "US-FED", "mail")
    assert result.period_end == date(2026, 6, 16)
    assert result.deadline == date(2026, 6, 22)
    assert "FRCP 6(d)" in result.rule_citations


def test_mail_service_adds_nothing_to_a_backward_period() -> None:
    result = compute_court_deadline(date(2007, 9, 11), 10, "before", "US-FED", "mail")
    assert result.deadline == date(2007, 8, 31)


def test_state_holiday_extends_a_forward_period_in_that_district() -> None:
    # Patriots' Day, Mon 2026-04-20, is a Massachusetts holiday: forward counts skip it.
    in_massachusetts = compute_court_deadline(date(2026, 4, 6), 14, "after", "US-FED-MA")
    federal_only = compute_court_deadline(date(2026, 4, 6), 14, "after", "US-FED")
    assert in_massachusetts.deadline == date(2026, 4, 21)
    assert federal_only.deadline == date(2026, 4, 20)
    assert "FRCP 6(a)(6)(C)" in in_massachusetts.rule_citations
    assert "Patriots' Day" in in_massachusetts.explanation[2]


def test_state_holiday_does_not_apply_to_a_backward_period() -> None:
    # FRCP 6(a)(6)(C): state holidays only for periods measured after an event.
    result = compute_court_deadline(date(2026, 5, 4), 14, "before", "US-FED-MA")
    assert result.deadline == date(2026, 4, 20)
    assert any("not a legal holiday for a backward" in line for line in result.explanation)


def test_state_holiday_of_another_state_is_ignored() -> None:
    result = compute_court_deadline(date(2026, 4, 6), 14, "after", "US-FED-NY")
    assert result.deadline == date(2026, 4, 20)


def test_federal_holiday_a_state_does_not_keep_still_closes_the_federal_court() -> None:
    # California does not observe Columbus Day, federal courts there do (Mon 2026-10-12).
    result = compute_court_deadline(date(2026, 10, 2), 10, "after", "US-FED-CA")
    assert result.deadline == date(2026, 10, 13)


def test_declared_holiday_is_a_legal_holiday() -> None:
    result = compute_court_deadline(
        date(2026, 3, 2),
        21,
        "after",
        "US-FED",
        declared_holidays={date(2026, 3, 23): "National Day of Mourning"},
    )
    assert result.deadline == date(2026, 3, 24)
    assert "FRCP 6(a)(6)(B)" in result.rule_citations


@pytest.mark.parametrize("jurisdiction", ["US-CA", "US-FED-ZZ", "FED", "us-fed", "US-FED-AS"])
def test_unknown_jurisdiction_is_refused(jurisdiction: str) -> None:
    with pytest.raises(ValueError, match="unknown jurisdiction"):
        compute_court_deadline(date(2026, 1, 5), 3, "after", jurisdiction)


def test_period_shorter_than_one_day_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        compute_court_deadline(date(2026, 1, 5), 0, "after", "US-FED")


def test_list_jurisdictions_are_the_districts_of_states_with_a_statutory_calendar() -> None:
    jurisdictions = list_jurisdictions()
    assert jurisdictions[0] == "US-FED"
    assert set(jurisdictions) == {
        "US-FED",
        *(f"US-FED-{state}" for state in ("CA", "DC", "FL", "HI", "IL", "MA", "NJ", "NY")),
        "US-FED-PA",
        "US-FED-TX",
    }


@pytest.mark.parametrize("jurisdiction", ["US-FED-PR", "US-FED-WA"])
def test_a_district_without_a_statutory_calendar_is_refused_naming_the_supported_ones(
    jurisdiction: str,
) -> None:
    """Its state holidays count under FRCP 6(a)(6)(C): never guessed from a general library."""
    with pytest.raises(ValueError, match="supported jurisdictions are US-FED, US-FED-CA, "):
        compute_court_deadline(date(2026, 1, 5), 3, "after", jurisdiction)


def test_unknown_service_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service method"):
        compute_court_deadline(date(2026, 1, 5), 3, "after", "US-FED", "fax")  # type: ignore[arg-type]


def test_the_court_deadlines_template_offers_exactly_the_supported_jurisdictions() -> None:
    """A district whose state holidays are not on file is refused at engagement create (422 from
    the input schema), not later in the deadline step."""
    from domain.catalog import builtin_templates

    schema = builtin_templates()["court-deadlines"].input_schema
    assert schema["properties"]["jurisdiction"]["enum"] == list_jurisdictions()
