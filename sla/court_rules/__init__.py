"""The court-rule catalog: which deadlines a trigger implies, as reviewed data (one YAML file per
rule set, each rule with its citation and the date of the source text it was checked against).

A rule names a period (days, hours or years) and a direction from its trigger; the counting is
FRCP 6(a) (``sla.court_days``) and, for periods that run after being served with a Rule 5 paper,
FRCP 6(d)'s 3 days for mail, clerk or consented service. ``when`` picks between variants by the
engagement's facts (e.g. ``us_party``). Local rules, standing orders and scheduling orders
override every one of these defaults: each computed deadline is verified by a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sla.court_days import CourtDeadline, Service, compute_court_deadline, compute_court_years


class CourtRule(BaseModel):
    """One deadline a trigger implies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][A-Za-z0-9-]*$")
    citation: str
    description: str
    trigger: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    days: int | None = Field(default=None, ge=1)
    hours: int | None = Field(default=None, ge=1)
    years: int | None = Field(default=None, ge=1)
    direction: Literal["after", "before"]
    service_extension: bool = False
    """FRCP 6(d) applies: the period runs after being served under Rule 5(b)."""
    when: dict[str, bool] = Field(default_factory=dict)
    rule_set: str = ""
    source_url: str = ""
    source_text_date: date | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> CourtRule:
        units = [u for u in (self.days, self.hours, self.years) if u is not None]
        if len(units) != 1:
            raise ValueError(f"rule {self.id}: give exactly one of days, hours, years")
        return self

    def applies(self, facts: Mapping[str, Any]) -> bool:
        """True if every ``when`` condition matches ``facts`` (a missing fact counts as false)."""
        return all(bool(facts.get(name, False)) == value for name, value in self.when.items())


class _RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_set: str
    title: str
    source_url: str
    source_text_date: date
    rules: list[dict[str, Any]]


RULE_SET_FILES = ("frcp.yaml", "frap.yaml", "usc28.yaml")


@lru_cache(maxsize=1)
def court_rules() -> Mapping[str, CourtRule]:
    """Every rule of every rule set, by id (loaded once: the data ships with the code)."""
    found: dict[str, CourtRule] = {}
    for name in RULE_SET_FILES:
        raw = yaml.safe_load(resources.files(__name__).joinpath(name).read_text("utf-8"))
        rule_set = _RuleSet.model_validate(raw)
        for item in rule_set.rules:
            rule = CourtRule.model_validate(
                {
                    **item,
                    "rule_set": rule_set.rule_set,
                    "source_url": rule_set.source_url,
                    "source_text_date": rule_set.source_text_date,
                }
            )
            if rule.id in found:
                raise ValueError(f"{name}: rule id {rule.id!r} is defined twice")
            found[rule.id] = rule
    return found


def court_rule(rule_id: str) -> CourtRule:
    """The rule ``rule_id``, or ``ValueError`` naming the catalog endpoint."""
    rule = court_rules().get(rule_id)
    if rule is None:
        raise ValueError(f"unknown rule {rule_id!r}: GET /deadlines/rules lists them")
    return rule


def rules_for_trigger(trigger: str, facts: Mapping[str, Any]) -> list[CourtRule]:
    """The rules a trigger implies for an engagement with these facts, in catalog order."""
    return [r for r in court_rules().values() if r.trigger == trigger and r.applies(facts)]


def triggers() -> list[str]:
    """Every trigger some rule counts from."""
    return sorted({rule.trigger for rule in court_rules().values()})


def apply_rule(
    rule: CourtRule,
    trigger: date,
    jurisdiction: str,
    service: Service | None = None,
    *,
    inaccessible: frozenset[date] = frozenset(),
    declared_holidays: Mapping[date, str] | None = None,
) -> CourtDeadline:
    """The deadline ``rule`` sets from ``trigger`` under FRCP 6(a), with 6(d) where it applies."""
    if rule.hours is not None:
        raise ValueError(f"rule {rule.id} is stated in hours: use kind court_hours")
    # FRCP 6(d) only extends periods after being served under Rule 5(b); for the others the
    # service method is irrelevant and must not add days.
    effective_service = service if rule.service_extension else None
    if rule.years is not None:
        result = compute_court_years(
            trigger,
            rule.years,
            jurisdiction,
            inaccessible=inaccessible,
            declared_holidays=declared_holidays,
        )
    else:
        assert rule.days is not None
        result = compute_court_deadline(
            trigger,
            rule.days,
            rule.direction,
            jurisdiction,
            effective_service,
            inaccessible,
            declared_holidays=declared_holidays,
        )
    lead = f"{rule.citation}: {rule.description}"
    notes = [lead]
    if service is not None and not rule.service_extension and service != "electronic":
        notes.append(
            f"{rule.citation} does not run from service of a Rule 5 paper, so FRCP 6(d) adds no "
            "days whatever the service method"
        )
    return CourtDeadline(
        deadline=result.deadline,
        explanation=[*notes, *result.explanation],
        rule_citations=[rule.citation, *result.rule_citations],
        jurisdiction=result.jurisdiction,
        period_end=result.period_end,
    )
