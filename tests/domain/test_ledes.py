"""LEDES 1998B files, read back by a parser written here from the spec's field table.

Spec: https://ledes.org/ledes-98b-format/ (24 fields, `|`-delimited, `[]` line ends, YYYYMMDD).
UTBMS codes: the ABA Litigation Code Set.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledes import LedesError, LedesInvoice, render

# The spec's field table: (name, kind). Kinds: date (YYYYMMDD), money, number, text.
SPEC_FIELDS = [
    ("INVOICE_DATE", "date"),
    ("INVOICE_NUMBER", "text"),
    ("CLIENT_ID", "text"),
    ("LAW_FIRM_MATTER_ID", "text"),
    ("INVOICE_TOTAL", "money"),
    ("BILLING_START_DATE", "date"),
    ("BILLING_END_DATE", "date"),
    ("INVOICE_DESCRIPTION", "text"),
    ("LINE_ITEM_NUMBER", "text"),
    ("EXP/FEE/INV_ADJ_TYPE", "text"),
    ("LINE_ITEM_NUMBER_OF_UNITS", "number"),
    ("LINE_ITEM_ADJUSTMENT_AMOUNT", "money"),
    ("LINE_ITEM_TOTAL", "money"),
    ("LINE_ITEM_DATE", "date"),
    ("LINE_ITEM_TASK_CODE", "text"),
    ("LINE_ITEM_EXPENSE_CODE", "text"),
    ("LINE_ITEM_ACTIVITY_CODE", "text"),
    ("TIMEKEEPER_ID", "text"),
    ("LINE_ITEM_DESCRIPTION", "text"),
    ("LAW_FIRM_ID", "text"),
    ("LINE_ITEM_UNIT_COST", "money"),
    ("TIMEKEEPER_NAME", "text"),
    ("TIMEKEEPER_CLASSIFICATION", "text"),
    ("CLIENT_MATTER_ID", "text"),
]


def parse_ledes(text: str) -> list[dict[str, Any]]:
    """An independent reader: checks the frame, then types every field by the table above."""
    lines = text.splitlines()
    assert lines[0] == "LEDES1998B[]"
    assert lines[1] == "|".join(name for name, _ in SPEC_FIELDS) + "[]"
    rows = []
    for raw in lines[2:]:
        assert raw.endswith("[]"), raw
        values = raw[:-2].split("|")
        assert len(values) == 24, (len(values), raw)
        row: dict[str, Any] = {}
        for (name, kind), value in zip(SPEC_FIELDS, values, strict=True):
            if kind == "date":
                assert re.fullmatch(r"\d{8}", value), (name, value)
                row[name] = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            elif kind == "money":
                assert re.fullmatch(r"-?\d+\.\d{2}", value), (name, value)
                row[name] = Decimal(value)
            elif kind == "number":
                assert re.fullmatch(r"\d+(\.\d+)?", value), (name, value)
                row[name] = Decimal(value)
            else:
                row[name] = value
        rows.append(row)
    return rows


INVOICE: dict[str, Any] = {
    "invoice_date": "2026-02-03",
    "invoice_number": "HM-2026-014",
    "client_id": "ACME",
    "law_firm_matter_id": "HM-2024-0307",
    "billing_start_date": "2026-01-01",
    "billing_end_date": "2026-01-31",
    "invoice_description": "Document review, January 2026",
    "law_firm_id": "12-3456789",
    "client_matter_id": "ACME-LIT-77",
    "lines": [
        {
            "line_item_number": "1",
            "exp/fee/inv_adj_type": "F",
            "line_item_number_of_units": "1.5",
            "line_item_date": "2026-01-12",
            "line_item_task_code": "L320",
            "line_item_activity_code": "A104",
            "timekeeper_id": "TK-9",
            "line_item_description": "First-level review of batch 4 for responsiveness",
            "line_item_unit_cost": "95.00",
            "timekeeper_name": "Roe, Jane",
            "timekeeper_classification": "PARLEG",
        },
        {
            "line_item_number": "2",
            "exp/fee/inv_adj_type": "F",
            "line_item_number_of_units": "2",
            "line_item_adjustment_amount": "-19.00",
            "line_item_date": "2026-01-13",
            "line_item_task_code": "L110",
            "line_item_activity_code": "A110",
            "timekeeper_id": "TK-9",
            "line_item_description": "Populate the review database",
            "line_item_unit_cost": "95.00",
            "timekeeper_name": "Roe, Jane",
            "timekeeper_classification": "PARLEG",
        },
        {
            "line_item_number": "3",
            "exp/fee/inv_adj_type": "E",
            "line_item_number_of_units": "120",
            "line_item_date": "2026-01-14",
            "line_item_expense_code": "E101",
            "line_item_description": "Copies of the production set",
            "line_item_unit_cost": "0.10",
        },
    ],
}


def test_the_file_parses_back_field_for_field() -> None:
    rows = parse_ledes(render(LedesInvoice.model_validate(INVOICE)))
    assert [row["LINE_ITEM_TOTAL"] for row in rows] == [
        Decimal("142.50"),  # 1.5 x 95.00
        Decimal("171.00"),  # 2 x 95.00 - 19.00
        Decimal("12.00"),  # 120 x 0.10
    ]
    assert {row["INVOICE_TOTAL"] for row in rows} == {Decimal("325.50")}
    first = rows[0]
    assert first["INVOICE_DATE"] == date(2026, 2, 3)
    assert first["BILLING_START_DATE"] == date(2026, 1, 1)
    assert first["LINE_ITEM_DESCRIPTION"] == "First-level review of batch 4 for responsiveness"
    assert first["LAW_FIRM_ID"] == "12-3456789"
    assert first["TIMEKEEPER_NAME"] == "Roe, Jane"
    assert first["CLIENT_MATTER_ID"] == "ACME-LIT-77"
    assert rows[2]["EXP/FEE/INV_ADJ_TYPE"] == "E" and rows[2]["LINE_ITEM_EXPENSE_CODE"] == "E101"
    assert {row["INVOICE_DESCRIPTION"] for row in rows} == {"Document review, January 2026"}


def test_an_invoice_level_discount_is_its_adjustment_alone() -> None:
    discount = {
        "line_item_number": "4",
        "exp/fee/inv_adj_type": "IF",
        "line_item_adjustment_amount": "-25.50",
        "line_item_date": "2026-01-31",
        "line_item_description": "Volume discount",
    }
    invoice = {**INVOICE, "lines": [*INVOICE["lines"], discount]}
    rows = parse_ledes(render(LedesInvoice.model_validate(invoice)))
    assert rows[-1]["LINE_ITEM_TOTAL"] == Decimal("-25.50")
    assert rows[0]["INVOICE_TOTAL"] == Decimal("300.00")


def _with_line(index: int, **changes: Any) -> dict[str, Any]:
    lines = [dict(line) for line in INVOICE["lines"]]
    lines[index].update(changes)
    return {**INVOICE, "lines": lines}


REFUSED = [
    (_with_line(0, line_item_task_code="L100"), "line 1", "a phase code is not a task (UTBMS)"),
    (_with_line(0, line_item_task_code="L170"), "line 1", "L170 is not in the litigation set"),
    (_with_line(1, line_item_task_code="L290"), "line 2", "L290 is not in the litigation set"),
    (_with_line(0, line_item_activity_code="A112"), "line 1", "activities run A101-A111"),
    (_with_line(2, line_item_expense_code="E125"), "line 3", "expenses run E101-E124"),
    (_with_line(2, line_item_date="2026-02-01"), "line 3", "a line dated after the period"),
    ({**INVOICE, "law_firm_id": ""}, "LAW_FIRM_ID", "receivers route bills by the firm id"),
    (_with_line(1, line_item_number="1"), "line 2", "line item numbers are unique"),
    (_with_line(0, line_item_description="a|b"), "line 1", "the delimiter cannot be data"),
]


@pytest.mark.parametrize(("invoice", "named", "why"), REFUSED)
def test_a_file_a_receiver_would_reject_is_refused_naming_the_line(
    invoice: dict[str, Any], named: str, why: str
) -> None:
    with pytest.raises(LedesError) as refused:
        render(LedesInvoice.model_validate(invoice))
    assert named in str(refused.value), why


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=200, places=1),
            st.decimals(min_value=0, max_value=900, places=2),
            st.decimals(min_value=-50, max_value=50, places=2),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_invoice_total_is_the_sum_of_the_line_totals(
    lines: list[tuple[Decimal, Decimal, Decimal]],
) -> None:
    invoice = {
        **INVOICE,
        "lines": [
            {
                **INVOICE["lines"][0],
                "line_item_number": str(n),
                "line_item_number_of_units": str(units),
                "line_item_unit_cost": str(cost),
                "line_item_adjustment_amount": str(adjustment),
            }
            for n, (units, cost, adjustment) in enumerate(lines, start=1)
        ],
    }
    rows = parse_ledes(render(LedesInvoice.model_validate(invoice)))
    assert rows[0]["INVOICE_TOTAL"] == sum(row["LINE_ITEM_TOTAL"] for row in rows)
    for row, (units, cost, adjustment) in zip(rows, lines, strict=True):
        assert row["LINE_ITEM_TOTAL"] == (units * cost + adjustment).quantize(Decimal("0.01"))
