"""SLA policies: durations, due times, thresholds, states and pauses."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import BusinessCalendar
from sla.policy import (
    Escalation,
    SlaPolicy,
    SlaState,
    due_at,
    parse_iso_duration,
    shift_for_pause,
    sla_state,
    thresholds,
)

NY = ZoneInfo("America/New_York")
CAL = BusinessCalendar.default()


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A New York wall-clock instant."""
    return datetime(year, month, day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT8H", timedelta(hours=8)),
        ("P2D", timedelta(days=2)),
        ("PT30S", timedelta(seconds=30)),
        ("P1DT4H", timedelta(days=1, hours=4)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("PT1.5H", timedelta(hours=1, minutes=30)),
        ("P1W", timedelta(weeks=1)),
        ("PT0S", timedelta(0)),
        (" PT15M ", timedelta(minutes=15)),
    ],
)
def test_parse_iso_duration_accepts_day_and_time_units(text: str, expected: timedelta) -> None:
    assert parse_iso_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "8h", "PT-1H", "pt8h", "1 day", "PT8"])
def test_parse_iso_duration_refuses_malformed_text(text: str) -> None:
    with pytest.raises(ValueError, match="invalid ISO-8601 duration"):
        parse_iso_duration(text)


@pytest.mark.parametrize("text", ["P1Y", "P2M", "P1M2D"])
def test_parse_iso_duration_refuses_years_and_months(text: str) -> None:
    with pytest.raises(ValueError, match="years and months have no fixed length"):
        parse_iso_duration(text)


def test_policy_refuses_non_positive_target() -> None:
    with pytest.raises(ValueError, match="target must be positive"):
        SlaPolicy(target=timedelta(0))


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.2])
def test_policy_refuses_warnings_outside_zero_and_one(fraction: float) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        SlaPolicy(target=timedelta(hours=8), warn_at=(fraction,))


def test_escalation_needs_a_queue_to_move_to() -> None:
    with pytest.raises(ValueError, match="needs a 'queue'"):
        Escalation(at=0.9, action="move_queue")


def test_reassign_without_a_target_means_back_to_the_queue() -> None:
    escalation = Escalation(at="breach", action="reassign")
    assert escalation.to is None
    assert escalation.fraction == 1.0


def test_escalation_refuses_a_non_positive_fraction() -> None:
    with pytest.raises(ValueError, match="positive fraction"):
        Escalation(at=0, action="notify")


def test_business_due_time_skips_the_weekend() -> None:
    policy = SlaPolicy(target=parse_iso_duration("PT8H"))
    assert due_at(policy, CAL, ny(2026, 6, 12, 13)) == ny(2026, 6, 15, 13)


def test_24x7_due_time_counts_every_hour() -> None:
    policy = SlaPolicy(target=parse_iso_duration("PT8H"), calendar="24x7")
    assert due_at(policy, CAL, ny(2026, 6, 12, 13)) == ny(2026, 6, 12, 21)


def test_24x7_due_time_counts_real_hours_across_dst() -> None:
    policy = SlaPolicy(target=parse_iso_duration("P1D"), calendar="24x7")
    assert due_at(policy, CAL, ny(2026, 3, 7, 12)) == ny(2026, 3, 8, 13)


def test_court_deadline_minus_buffer_caps_the_due_time() -> None:
    policy = SlaPolicy(target=parse_iso_duration("PT40H"))
    court = ny(2026, 6, 17, 23, 59)
    due = due_at(policy, CAL, ny(2026, 6, 15, 9), court, timedelta(days=1))
    assert due == ny(2026, 6, 16, 23, 59)
    assert due.tzinfo == NY


def test_distant_court_deadline_does_not_change_the_due_time() -> None:
    policy = SlaPolicy(target=parse_iso_duration("PT8H"))
    due = due_at(policy, CAL, ny(2026, 6, 15, 9), ny(2026, 7, 31, 17), timedelta(days=2))
    assert due == ny(2026, 6, 15, 17)


def test_thresholds_are_absolute_instants_in_time_order() -> None:
    policy = SlaPolicy(
        target=parse_iso_duration("PT16H"),
        warn_at=(0.75, 0.5),
        escalations=(
            Escalation(at="breach", action="move_queue", queue="supervisors"),
            Escalation(at=0.9, action="notify"),
            Escalation(at=1.25, action="reassign", to="team-lead"),
        ),
    )
    found = thresholds(policy, CAL, ny(2026, 6, 18, 9))  # Thu; Fri 19 Jun is Juneteenth
    assert [(t.at, t.kind, t.fraction, t.action) for t in found] == [
        (ny(2026, 6, 18, 17), "warning", 0.5, None),
        (ny(2026, 6, 22, 13), "warning", 0.75, None),
        (ny(2026, 6, 22, 15, 24), "escalation", 0.9, "notify"),
        (ny(2026, 6, 22, 17), "breach", 1.0, None),
        (ny(2026, 6, 22, 17), "escalation", 1.0, "move_queue"),
        (ny(2026, 6, 23, 13), "escalation", 1.25, "reassign"),
    ]
    assert found[4].queue == "supervisors"
    assert found[5].to == "team-lead"


def test_thresholds_scale_to_a_capped_due_time() -> None:
    policy = SlaPolicy(target=parse_iso_duration("PT40H"), warn_at=(0.5,))
    found = thresholds(policy, CAL, ny(2026, 6, 15, 9), ny(2026, 6, 16, 17), timedelta(0))
    assert [(t.at, t.kind) for t in found] == [
        (ny(2026, 6, 15, 17), "warning"),
        (ny(2026, 6, 16, 17), "breach"),
    ]


DUE = ny(2026, 6, 16, 17)
WARN = ny(2026, 6, 16, 13)
STATES: list[tuple[str, datetime, datetime | None, bool, SlaState]] = [
    ("before_warning", ny(2026, 6, 16, 12), None, False, "on_track"),
    ("at_warning", WARN, None, False, "at_risk"),
    ("after_warning", ny(2026, 6, 16, 16), None, False, "at_risk"),
    ("at_due", DUE, None, False, "breached"),
    ("after_due", ny(2026, 6, 17, 9), None, False, "breached"),
    ("completed_on_time", ny(2026, 6, 17, 9), ny(2026, 6, 16, 17), False, "met"),
    ("completed_late", ny(2026, 6, 17, 9), ny(2026, 6, 16, 17, 1), False, "breached"),
    ("paused", ny(2026, 6, 17, 9), None, True, "paused"),
    ("completed_while_paused", ny(2026, 6, 17, 9), ny(2026, 6, 16, 10), True, "met"),
]


@pytest.mark.parametrize(
    ("now", "completed_at", "paused", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in STATES],
)
def test_sla_state(
    now: datetime, completed_at: datetime | None, paused: bool, expected: SlaState
) -> None:
    assert sla_state(DUE, now, WARN, completed_at, paused) == expected


def test_sla_state_without_warning_is_on_track_until_due() -> None:
    assert sla_state(DUE, ny(2026, 6, 16, 16, 59), None) == "on_track"


def test_pause_over_a_weekend_holds_only_business_time() -> None:
    # Paused Fri 16:00 to Mon 10:00 holds 2 business hours: due Tue 12:00 -> Tue 14:00.
    shifted = shift_for_pause(ny(2026, 6, 16, 12), CAL, ny(2026, 6, 12, 16), ny(2026, 6, 15, 10))
    assert shifted == ny(2026, 6, 16, 14)


def test_pause_moves_a_due_time_at_closing_into_the_next_day() -> None:
    shifted = shift_for_pause(ny(2026, 6, 16, 17), CAL, ny(2026, 6, 15, 9), ny(2026, 6, 15, 10))
    assert shifted == ny(2026, 6, 17, 10)


def test_pause_outside_business_hours_leaves_the_due_time_alone() -> None:
    due = ny(2026, 6, 16, 17)
    assert shift_for_pause(due, CAL, ny(2026, 6, 13, 9), ny(2026, 6, 14, 18)) == due


def test_pause_on_a_24x7_clock_holds_wall_time() -> None:
    shifted = shift_for_pause(ny(2026, 6, 16, 17), None, ny(2026, 6, 13, 9), ny(2026, 6, 13, 12))
    assert shifted == ny(2026, 6, 16, 20)


def test_resuming_before_pausing_is_refused() -> None:
    with pytest.raises(ValueError, match="resumed_at"):
        shift_for_pause(ny(2026, 6, 16, 17), CAL, ny(2026, 6, 15, 10), ny(2026, 6, 15, 9))
