"""Checks of dates a clerk or an event gives against today and against dates captured earlier.

JSON Schema checks a date's shape, not its relation to other dates; a template's `date_rules`
say, for example, that a provider cannot receive a request before it was sent or in the future
(the 45 CFR 164.524 clock would start from a date that never happened). Pure: the caller passes
today's date in the firm's zone and the captured values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from domain.templates import DateBound, DateRule


def parse_date(value: Any) -> date | None:
    """An ISO date (YYYY-MM-DD), or None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def latest_captured(
    sources: Iterable[str], outputs: Sequence[tuple[str, Mapping[str, Any]]]
) -> tuple[str, date] | None:
    """The newest of `sources` (`<step_id>.<field>`) present as a date in `outputs`, which are
    (step id, output) pairs in the order they were recorded; with the source that gave it."""
    wanted = [tuple(source.split(".", 1)) for source in sources]
    for step_id, output in reversed(outputs):
        for source_step, field in wanted:
            if source_step == step_id and (found := parse_date(output.get(field))) is not None:
                return f"{source_step}.{field}", found
    return None


def date_rule_problems(
    rules: Iterable[DateRule],
    values: Mapping[str, Any],
    outputs: Sequence[tuple[str, Mapping[str, Any]]],
    today: date,
) -> list[str]:
    """Every rule a date of `values` breaks, each naming the field, the bound and the rule."""
    problems: list[str] = []
    for rule in rules:
        given = parse_date(values.get(rule.field))
        if given is None:
            continue  # absent or malformed: the JSON Schema decides whether that is allowed
        cite = f" ({rule.rule})" if rule.rule else ""
        low = _bound(rule.not_before, values, outputs, today)
        if low is not None and given < low[1]:
            problems.append(f"{rule.field} {given} is before {low[0]} ({low[1]}){cite}")
        high = _bound(rule.not_after, values, outputs, today)
        if high is not None and given > high[1]:
            problems.append(f"{rule.field} {given} is after {high[0]} ({high[1]}){cite}")
    return problems


def _bound(
    bound: DateBound | None,
    values: Mapping[str, Any],
    outputs: Sequence[tuple[str, Mapping[str, Any]]],
    today: date,
) -> tuple[str, date] | None:
    if bound is None:
        return None
    if bound.of == "today":
        name, base = "today", today
    elif "." in bound.of:
        found = latest_captured([bound.of], outputs)
        if found is None:
            return None  # nothing captured to compare with
        name, base = found
    else:
        parsed = parse_date(values.get(bound.of))
        if parsed is None:
            return None
        name, base = bound.of, parsed
    if bound.days:
        name = (
            f"day {bound.days} after {name}"
            if bound.days > 0
            else f"{-bound.days} days before {name}"
        )
    return name, base + timedelta(days=bound.days)
