"""The built-in automated steps named in domain/activity_catalog.py.

Each is deterministic for its input (a retry gives the same answer) and returns exactly the
outcomes its catalog entry declares. They work on the engagement's inputs and the latest output
of every earlier step; real integrations (a DMS, a citator, a mail house) replace them behind the
same activity names.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from temporalio import activity

from domain import ledes
from domain.ledes import LedesInvoice
from domain.messages import AutomatedStepInput, AutomatedStepResult
from domain.redaction import scan_text
from sla import compute_court_deadline
from sla.court_days import Service
from sla.court_rules import apply_rule, rules_for_trigger

_REPORTER = re.compile(
    r"\b\d{1,4} "  # volume
    r"(?:U\.S\.|S\. ?Ct\.|F\.(?:2d|3d|4th)?|F\. Supp\.(?: 2d| 3d)?|[A-Z][a-z.]*\d?d?)"  # reporter
    r" \d{1,5}\b"  # first page
)
_URGENT_WORDS = ("urgent", "emergency", "tro", "deadline", "hearing", "court order", "sanction")
_SPAM_WORDS = ("unsubscribe", "lottery", "winner", "crypto", "viagra")


def _any_word(words: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words and phrases only: "tro" must not match "electronic" or "introduction"."""
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


_URGENT = _any_word(_URGENT_WORDS)
_SPAM = _any_word(_SPAM_WORDS)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _find_lists(value: Any, key: str) -> list[Any]:
    """Every list stored under `key` anywhere in `value`, flattened."""
    found: list[Any] = []
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key and isinstance(item, list):
                found.extend(item)
            else:
                found.extend(_find_lists(item, key))
    elif isinstance(value, list):
        for item in value:
            found.extend(_find_lists(item, key))
    return found


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10].upper()


def _everything(step: AutomatedStepInput) -> dict[str, Any]:
    return {"inputs": step.inputs, "outputs": step.outputs}


def _strings_at(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(dotted path, text) for every string in ``value``, e.g. ``outputs.draft.document_title``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_at(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_at(item, f"{path}[{index}]")


def minor_names(inputs: dict[str, Any]) -> list[str]:
    """Names the engagement lists as minors (FRCP 5.2(a)(3)): inputs ``minors`` or
    ``minor_names``, as strings or as objects with a ``name``."""
    names: list[str] = []
    for key in ("minors", "minor_names"):
        for item in inputs.get(key) or []:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str) and name.strip():
                names.append(name)
    return names


def redaction_scan(step: AutomatedStepInput) -> AutomatedStepResult:
    """FRCP 5.2(a) over every input and earlier output (domain.redaction); each finding names the
    field and span, never the identifier."""
    minors = minor_names(step.inputs)
    findings: list[dict[str, Any]] = []
    for field, text in _strings_at(_everything(step), ""):
        findings.extend(
            {"kind": f.kind, "field": field, "start": f.start, "end": f.end}
            for f in scan_text(text, minors)
        )
    if findings:
        return AutomatedStepResult(
            outcome="flagged", detail={"findings": findings[:50], "count": len(findings)}
        )
    return AutomatedStepResult(outcome="clean", detail={"count": 0})


def citation_check(step: AutomatedStepInput) -> AutomatedStepResult:
    authorities = _find_lists(step.outputs, "authorities") or _find_lists(step.outputs, "citations")
    problems: list[str] = []
    for number, authority in enumerate(authorities, start=1):
        citation = authority.get("citation", "") if isinstance(authority, dict) else str(authority)
        if not _REPORTER.search(citation):
            problems.append(f"authority {number}: {citation[:60]!r} is not a reporter citation")
        if (
            isinstance(authority, dict)
            and authority.get("quoted")
            and not authority.get("pin_cite")
        ):
            problems.append(f"authority {number}: a quotation needs a pin cite")
        if isinstance(authority, dict) and authority.get("negative_treatment"):
            problems.append(f"authority {number}: negative citator treatment")
    if problems:
        return AutomatedStepResult(outcome="problems", detail={"problems": problems})
    return AutomatedStepResult(outcome="verified", detail={"authorities": len(authorities)})


def completeness_check(step: AutomatedStepInput) -> AutomatedStepResult:
    """Every bill needs a record of the same provider and date of service, and vice versa."""

    def keys(rows: list[Any]) -> set[tuple[str, str]]:
        return {
            (str(r.get("provider", "")), str(r.get("date_of_service", "")))
            for r in rows
            if isinstance(r, dict)
        }

    bills = keys(_find_lists(_everything(step), "bills"))
    records = keys(_find_lists(_everything(step), "records"))
    missing_records = sorted(bills - records)
    missing_bills = sorted(records - bills) if bills else []
    if missing_records or missing_bills:
        return AutomatedStepResult(
            outcome="incomplete",
            detail={
                "bills_without_records": missing_records,
                "records_without_bills": missing_bills,
            },
        )
    return AutomatedStepResult(outcome="complete", detail={"matched": len(bills)})


def _ledes_lines(step: AutomatedStepInput) -> list[dict[str, Any]]:
    """LEDES line items from the pre-bill's billable time entries and its expenses."""
    lines: list[dict[str, Any]] = []
    for entry in _find_lists(step.outputs, "time_entries"):
        if not isinstance(entry, dict) or entry.get("billable") is False:
            continue
        lines.append(
            {
                "line_item_number": str(len(lines) + 1),
                "exp/fee/inv_adj_type": "F",
                "line_item_number_of_units": str(entry.get("hours", 0)),
                "line_item_date": entry.get("date"),
                "line_item_task_code": str(entry.get("task_code", "")),
                "line_item_activity_code": str(entry.get("activity_code", "")),
                "timekeeper_id": str(entry.get("timekeeper_id", "")),
                "line_item_description": str(entry.get("narrative", "")),
                "line_item_unit_cost": str(entry.get("rate", 0)),
                "timekeeper_name": str(entry.get("timekeeper_name", "")),
                "timekeeper_classification": str(entry.get("timekeeper_classification", "")),
            }
        )
    for expense in _find_lists(step.outputs, "expenses"):
        if not isinstance(expense, dict):
            continue
        lines.append(
            {
                "line_item_number": str(len(lines) + 1),
                "exp/fee/inv_adj_type": "E",
                "line_item_number_of_units": "1",
                "line_item_date": expense.get("date"),
                "line_item_expense_code": str(expense.get("expense_code", "")),
                "line_item_description": str(expense.get("description", "")),
                "line_item_unit_cost": str(expense.get("amount", 0)),
            }
        )
    return lines


def _tenths_problems(lines: list[dict[str, Any]]) -> list[str]:
    """Billing guidelines bill time in 0.1-hour increments; the schema cannot say it (floats)."""
    return [
        f"line {line['line_item_number']}: {line['line_item_number_of_units']} hours is not "
        "in tenths of an hour"
        for line in lines
        if line["exp/fee/inv_adj_type"] == "F"
        and Decimal(line["line_item_number_of_units"]) % Decimal("0.1") != 0
    ]


def invoice_generate(step: AutomatedStepInput) -> AutomatedStepResult:
    """The LEDES 1998B file (domain.ledes) from the approved pre-bill; the file text is in the
    result's detail. Problems a receiver would reject on send the pre-bill back, named by line."""
    inputs = step.inputs
    lines = _ledes_lines(step)
    invoice_number = str(inputs.get("invoice_number") or f"INV-{_digest(step.attempt_key)}")
    invoice = {
        # The invoice is dated the period's end unless the inputs say otherwise: a retry must
        # produce the same file, so the activity never reads the clock.
        "invoice_date": inputs.get("invoice_date") or inputs.get("billing_end_date"),
        "invoice_number": invoice_number,
        "client_id": inputs.get("client_id"),
        "law_firm_matter_id": inputs.get("law_firm_matter_id"),
        "billing_start_date": inputs.get("billing_start_date"),
        "billing_end_date": inputs.get("billing_end_date"),
        "invoice_description": str(inputs.get("invoice_description", "")),
        "law_firm_id": str(inputs.get("law_firm_id", "")),
        "client_matter_id": str(inputs.get("client_matter_id", "")),
        "lines": lines,
    }
    if not lines:
        return AutomatedStepResult(
            outcome="invalid", detail={"problems": ["the pre-bill has no billable line"]}
        )
    try:
        parsed = LedesInvoice.model_validate(invoice)
        found = _tenths_problems(lines) + ledes.problems(parsed)
    except ValidationError as error:
        found = [
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        ]
    if found:
        return AutomatedStepResult(outcome="invalid", detail={"problems": found})
    return AutomatedStepResult(
        outcome="generated",
        detail={
            "format": "LEDES1998B",
            "invoice_number": invoice_number,
            "lines": len(lines),
            "total": str(parsed.total),
            "file": ledes.render(parsed),
        },
    )


def conflict_check(step: AutomatedStepInput) -> AutomatedStepResult:
    """Party names against the names this deployment lists as adverse (step params)."""
    known = {name.casefold() for name in step.params.get("adverse_parties", [])}
    parties = [
        p
        for key in ("client_name", "adverse_parties", "parties", "counterparty", "insured_name")
        for p in _strings(step.inputs.get(key))
    ]
    hits = sorted({p for p in parties if p.casefold() in known})
    if hits:
        return AutomatedStepResult(outcome="conflict", detail={"hits": len(hits)})
    return AutomatedStepResult(outcome="clear", detail={"searched": len(parties)})


# The court-deadlines template's service methods, as FRCP 5(b)(2) names them (sla.court_days).
_SERVICE_METHODS: dict[str, Service] = {
    "electronic": "electronic",
    "mail": "mail",
    "hand": "personal",
    "personal": "personal",
    "left_with_clerk": "clerk",
    "clerk": "clerk",
    "consented_other": "other_consented",
    "other_consented": "other_consented",
}


def _latest(step: AutomatedStepInput, key: str) -> Any:
    """The latest value of ``key`` any earlier step recorded (the clerk's record of the trigger
    wins over the engagement's inputs: a changed trigger is re-recorded). The step's own earlier
    result is skipped: it holds the trigger it computed from last time."""
    for step_id, output in reversed(list(step.outputs.items())):
        if step_id == step.step_id:
            continue
        if isinstance(output, dict) and output.get(key) not in (None, ""):
            return output[key]
    return step.inputs.get(key)


def _court_rule_deadlines(step: AutomatedStepInput, trigger_type: str) -> AutomatedStepResult:
    trigger = date.fromisoformat(str(_latest(step, "trigger_date")))
    method = _latest(step, "service_method") or _latest(step, "service")
    service = _SERVICE_METHODS.get(str(method)) if method else None
    jurisdiction = str(step.inputs.get("jurisdiction", "US-FED"))
    deadlines = []
    for rule in rules_for_trigger(trigger_type, step.inputs):
        result = apply_rule(rule, trigger, jurisdiction, service)
        deadlines.append(
            {
                "rule": rule.id,
                "event": rule.description,
                "rule_citation": rule.citation,
                "due_date": result.deadline.isoformat(),
                "direction": rule.direction,
                "explanation": result.explanation,
            }
        )
    return AutomatedStepResult(
        outcome="computed",
        detail={
            "trigger_type": trigger_type,
            "trigger_date": trigger.isoformat(),
            "service": service,
            "jurisdiction": jurisdiction,
            "deadlines": deadlines,
        },
    )


def deadline_compute(step: AutomatedStepInput) -> AutomatedStepResult:
    """Every deadline the trigger implies, from the court-rule catalog (sla.court_rules); or one
    period given as `days`; otherwise the step records which rule a person must apply."""
    trigger_type = _latest(step, "trigger_type")
    if trigger_type and _latest(step, "trigger_date"):
        return _court_rule_deadlines(step, str(trigger_type))
    trigger = step.inputs.get("trigger_date")
    days = step.inputs.get("days") or step.params.get("days")
    if trigger and days:
        method = step.inputs.get("service")
        deadline = compute_court_deadline(
            date.fromisoformat(str(trigger)),
            int(days),
            step.inputs.get("direction", "after"),
            step.inputs.get("jurisdiction", "US-FED"),
            _SERVICE_METHODS.get(str(method)) if method else None,
        )
        return AutomatedStepResult(
            outcome="computed",
            detail={
                "deadline": deadline.deadline.isoformat(),
                "explanation": deadline.explanation,
                "rules": deadline.rule_citations,
            },
        )
    return AutomatedStepResult(
        outcome="computed", detail={"rule": step.params.get("rule", "manual")}
    )


def send_document(step: AutomatedStepInput) -> AutomatedStepResult:
    method = str(step.params.get("method", "portal"))
    return AutomatedStepResult(
        outcome="sent", detail={"method": method, "tracking": f"SND-{_digest(step.attempt_key)}"}
    )


def email_classify(step: AutomatedStepInput) -> AutomatedStepResult:
    text = " ".join(_strings(step.inputs))
    if _SPAM.search(text):
        return AutomatedStepResult(outcome="spam")
    if _URGENT.search(text):
        return AutomatedStepResult(outcome="urgent")
    return AutomatedStepResult(outcome="routine")


def privilege_log_generate(step: AutomatedStepInput) -> AutomatedStepResult:
    privileged = [
        c
        for c in _find_lists(step.outputs, "documents")
        if isinstance(c, dict) and c.get("privilege") not in (None, "none", "not_privileged")
    ]
    return AutomatedStepResult(outcome="generated", detail={"entries": len(privileged)})


def exhibit_stamp(step: AutomatedStepInput) -> AutomatedStepResult:
    count = int(step.inputs.get("page_count") or len(_find_lists(step.outputs, "documents")) or 1)
    prefix = str(step.params.get("prefix", "DF"))
    return AutomatedStepResult(
        outcome="stamped",
        detail={
            "mode": step.params.get("mode", "bates"),
            "first": f"{prefix}{1:06d}",
            "last": f"{prefix}{count:06d}",
        },
    )


def archive(step: AutomatedStepInput) -> AutomatedStepResult:
    return AutomatedStepResult(
        outcome="archived", detail={"archive_id": f"ARC-{_digest(step.engagement_id)}"}
    )


STEPS: dict[str, Callable[[AutomatedStepInput], AutomatedStepResult]] = {
    "redaction_scan": redaction_scan,
    "citation_check": citation_check,
    "completeness_check": completeness_check,
    "invoice_generate": invoice_generate,
    "conflict_check": conflict_check,
    "deadline_compute": deadline_compute,
    "send_document": send_document,
    "email_classify": email_classify,
    "privilege_log_generate": privilege_log_generate,
    "exhibit_stamp": exhibit_stamp,
    "archive": archive,
}


def _as_activity(
    name: str, run: Callable[[AutomatedStepInput], AutomatedStepResult]
) -> Callable[..., Any]:
    @activity.defn(name=name)
    async def step_activity(step: AutomatedStepInput) -> AutomatedStepResult:
        return run(step)

    return step_activity


def automated_step_activities(
    replaced: Collection[str] = (),
) -> list[Callable[..., Any]]:
    """Every built-in step as an activity, but those `replaced` by document-aware versions."""
    return [_as_activity(name, run) for name, run in STEPS.items() if name not in replaced]
