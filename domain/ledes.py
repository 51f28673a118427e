"""LEDES 1998B invoice files: 24 pipe-delimited fields per line item, totals computed here.

The format (LEDES Oversight Committee, https://ledes.org/ledes-98b-format/; frozen, "not
intended to be modified"): line 1 is ``LEDES1998B[]``; line 2 the 24 field names in the order of
``FIELDS``, ``|``-separated and ending ``[]``; then one line per line item, every one ending
``[]``. Dates are ``YYYYMMDD``. LINE_ITEM_TOTAL is units x unit cost + adjustment (for the
invoice-level adjustment types IF and IE, the adjustment alone); INVOICE_TOTAL is the sum of the
line totals and repeats on every line, as do the other invoice fields.

Codes are the ABA's UTBMS litigation set (domain.utbms). Besides the format, the checks here are
the ones e-billing receivers reject on (e.g. Collaborati's guideline: line dates within the
billing period, a task code on every fee line, an expense code on every expense line); each
problem names the line, so a biller can fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.utbms import ACTIVITIES, EXPENSES, LITIGATION_TASKS

FIELDS: tuple[str, ...] = (
    "INVOICE_DATE",
    "INVOICE_NUMBER",
    "CLIENT_ID",
    "LAW_FIRM_MATTER_ID",
    "INVOICE_TOTAL",
    "BILLING_START_DATE",
    "BILLING_END_DATE",
    "INVOICE_DESCRIPTION",
    "LINE_ITEM_NUMBER",
    "EXP/FEE/INV_ADJ_TYPE",
    "LINE_ITEM_NUMBER_OF_UNITS",
    "LINE_ITEM_ADJUSTMENT_AMOUNT",
    "LINE_ITEM_TOTAL",
    "LINE_ITEM_DATE",
    "LINE_ITEM_TASK_CODE",
    "LINE_ITEM_EXPENSE_CODE",
    "LINE_ITEM_ACTIVITY_CODE",
    "TIMEKEEPER_ID",
    "LINE_ITEM_DESCRIPTION",
    "LAW_FIRM_ID",
    "LINE_ITEM_UNIT_COST",
    "TIMEKEEPER_NAME",
    "TIMEKEEPER_CLASSIFICATION",
    "CLIENT_MATTER_ID",
)
FORMAT_LINE = "LEDES1998B[]"
_CENT = Decimal("0.01")
# Char 20 in the LOC field table.
_CHAR20 = ("invoice_number", "client_id", "law_firm_matter_id", "client_matter_id")


class LedesError(ValueError):
    """The invoice cannot be a LEDES 1998B file; ``problems`` names each line and field."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class LedesLine(BaseModel):
    """One line item; field names are the spec's, in lower case."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    line_item_number: str = Field(min_length=1, max_length=20)
    exp_fee_inv_adj_type: Literal["F", "E", "IF", "IE"] = Field(alias="exp/fee/inv_adj_type")
    line_item_number_of_units: Decimal = Field(
        default=Decimal(0), ge=0, description="hours for fees, items for expenses; no negatives"
    )
    line_item_adjustment_amount: Decimal = Field(
        default=Decimal(0), description="+ premium, - discount"
    )
    line_item_date: date
    line_item_task_code: str = ""
    line_item_expense_code: str = ""
    line_item_activity_code: str = ""
    timekeeper_id: str = ""
    line_item_description: str = ""
    line_item_unit_cost: Decimal = Decimal(0)
    timekeeper_name: str = Field(default="", description="Last, First")
    timekeeper_classification: str = Field(default="", description="e.g. PARTNR, ASSOC, PARLEG")

    @property
    def total(self) -> Decimal:
        if self.exp_fee_inv_adj_type in ("IF", "IE"):
            return self.line_item_adjustment_amount.quantize(_CENT)
        return (
            self.line_item_number_of_units * self.line_item_unit_cost
            + self.line_item_adjustment_amount
        ).quantize(_CENT)


class LedesInvoice(BaseModel):
    """One invoice: the header fields (lower case) and its line items."""

    model_config = ConfigDict(extra="forbid")

    invoice_date: date
    invoice_number: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    law_firm_matter_id: str = Field(min_length=1)
    billing_start_date: date
    billing_end_date: date
    invoice_description: str = ""
    law_firm_id: str = ""
    client_matter_id: str = ""
    lines: list[LedesLine] = Field(min_length=1)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))


def _clean(value: str) -> bool:
    return not any(bad in value for bad in ("|", "[]", "\n", "\r"))


def _line_problems(invoice: LedesInvoice, number: int, line: LedesLine) -> list[str]:
    where = f"line {number} (line_item_number {line.line_item_number!r})"
    problems: list[str] = []
    kind = line.exp_fee_inv_adj_type
    if not invoice.billing_start_date <= line.line_item_date <= invoice.billing_end_date:
        problems.append(
            f"{where}: line_item_date {line.line_item_date.isoformat()} is outside the billing "
            f"period {invoice.billing_start_date.isoformat()} to "
            f"{invoice.billing_end_date.isoformat()}"
        )
    task, activity, expense = (
        line.line_item_task_code,
        line.line_item_activity_code,
        line.line_item_expense_code,
    )
    if kind == "F":
        if task not in LITIGATION_TASKS:
            problems.append(
                f"{where}: line_item_task_code {task!r} is not a UTBMS litigation task code "
                "(L110-L190, L210-L260, L310-L390, L410-L470, L510-L530)"
            )
        if activity not in ACTIVITIES:
            problems.append(
                f"{where}: line_item_activity_code {activity!r} is not a UTBMS activity code "
                "(A101-A111)"
            )
        if expense:
            problems.append(f"{where}: a fee line has no line_item_expense_code")
    elif kind == "E":
        if expense not in EXPENSES:
            problems.append(
                f"{where}: line_item_expense_code {expense!r} is not a UTBMS expense code "
                "(E101-E124)"
            )
        if task and task not in LITIGATION_TASKS:
            problems.append(
                f"{where}: line_item_task_code {task!r} is not a UTBMS litigation task code"
            )
        if activity:
            problems.append(f"{where}: an expense line has no line_item_activity_code")
    for name, value in line.model_dump(by_alias=True, mode="json").items():
        if isinstance(value, str) and not _clean(value):
            problems.append(f"{where}: {name} may not contain '|', '[]' or a line break")
    return problems


def problems(invoice: LedesInvoice) -> list[str]:
    """Everything that keeps ``invoice`` from being a LEDES 1998B file a receiver accepts."""
    found: list[str] = []
    if not invoice.law_firm_id.strip():
        found.append("law_firm_id (LAW_FIRM_ID) is missing: receivers route bills by it")
    if invoice.billing_start_date > invoice.billing_end_date:
        found.append("billing_start_date is after billing_end_date")
    for name in _CHAR20:
        if len(getattr(invoice, name)) > 20:
            found.append(f"{name} is longer than 20 characters")
    for name in ("invoice_number", "client_id", "law_firm_matter_id", "invoice_description",
                 "law_firm_id", "client_matter_id"):  # fmt: skip
        if not _clean(getattr(invoice, name)):
            found.append(f"{name} may not contain '|', '[]' or a line break")
    seen: set[str] = set()
    for number, line in enumerate(invoice.lines, start=1):
        if line.line_item_number in seen:
            found.append(
                f"line {number}: line_item_number {line.line_item_number!r} repeats an earlier "
                "line (it must be unique within the invoice)"
            )
        seen.add(line.line_item_number)
        found.extend(_line_problems(invoice, number, line))
    return found


def _money(value: Decimal) -> str:
    return f"{value.quantize(_CENT):f}"


def _units(value: Decimal) -> str:
    return f"{value.normalize():f}"


def render(invoice: LedesInvoice) -> str:
    """The LEDES 1998B file for ``invoice``, or ``LedesError`` listing every problem."""
    found = problems(invoice)
    if found:
        raise LedesError(found)
    rows = [FORMAT_LINE, "|".join(FIELDS) + "[]"]
    total = _money(invoice.total)
    for line in invoice.lines:
        values = [
            f"{invoice.invoice_date:%Y%m%d}",
            invoice.invoice_number,
            invoice.client_id,
            invoice.law_firm_matter_id,
            total,
            f"{invoice.billing_start_date:%Y%m%d}",
            f"{invoice.billing_end_date:%Y%m%d}",
            invoice.invoice_description,
            line.line_item_number,
            line.exp_fee_inv_adj_type,
            _units(line.line_item_number_of_units),
            _money(line.line_item_adjustment_amount),
            _money(line.total),
            f"{line.line_item_date:%Y%m%d}",
            line.line_item_task_code,
            line.line_item_expense_code,
            line.line_item_activity_code,
            line.timekeeper_id,
            line.line_item_description,
            invoice.law_firm_id,
            _money(line.line_item_unit_cost),
            line.timekeeper_name,
            line.timekeeper_classification,
            invoice.client_matter_id,
        ]
        rows.append("|".join(values) + "[]")
    return "\n".join(rows) + "\n"
