"""FRCP 5.2(a) probes: what a filing may not show in full, and what it may (5.2(a)(1)-(4)).

Each row: the text, the kinds found (in order), and the rule the row checks. Rule text:
https://www.law.cornell.edu/rules/frcp/rule_5.2
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.redaction import page_of, scan_text

PROBES: list[tuple[str, list[str], str]] = [
    # 5.2(a)(1): social-security and taxpayer-identification numbers, last four digits only.
    ("SSN 123-45-6789 on file", ["ssn"], "5.2(a)(1) dashed SSN"),
    ("her social security number is 123 45 6789.", ["ssn"], "5.2(a)(1) SSN with spaces"),
    ("SSN: 123456789", ["ssn"], "5.2(a)(1) SSN without separators, after a cue"),
    ("Soc. Sec. No. 123456789", ["ssn"], "5.2(a)(1) abbreviated cue"),
    ("SSN 123.45.6789", ["ssn"], "5.2(a)(1) SSN with dots"),
    ("ITIN 912-78-1234", ["itin"], "5.2(a)(1) an ITIN is a taxpayer-identification number"),
    ("EIN 12-3456789", ["ein"], "5.2(a)(1) an EIN is a taxpayer-identification number"),
    ("Tax ID: 12-3456789", ["ein"], "5.2(a)(1) EIN after a tax-id cue"),
    ("SSN xxx-xx-6789", [], "5.2(a)(1) the last four digits are allowed"),
    ("SSN ending in 6789", [], "5.2(a)(1) the last four digits are allowed"),
    ("Claim No. 12-3456789 with the insurer", [], "claim number shaped like an EIN"),
    ("Claim number 123-45-6789", [], "claim number shaped like an SSN"),
    ("Policy # 123-45-6789", [], "policy number shaped like an SSN"),
    ("Case No. 3:24-cv-04411", [], "a case number is not an identifier"),
    ("order 123456789 shipped", [], "nine bare digits without an SSN cue"),
    ("SSN 000-12-3456", [], "area 000 is never issued"),
    ("call 555-123-4567 today", [], "a telephone number is not 3-2-4"),
    # 5.2(a)(2): birth dates, the year only.
    ("DOB 03/05/1990", ["birth_date"], "5.2(a)(2) numeric birth date"),
    ("D.O.B.: 1990-03-05", ["birth_date"], "5.2(a)(2) birth date after 'D.O.B.'"),
    ("born March 5, 1990 in Ohio", ["birth_date"], "5.2(a)(2) birth date in words"),
    ("date of birth: 5 March 1990", ["birth_date"], "5.2(a)(2) day-month-year in words"),
    ("Birthdate Mar. 5th, 1990", ["birth_date"], "5.2(a)(2) abbreviated month"),
    ("born on the 5th of March, 1990", ["birth_date"], "5.2(a)(2) 'the 5th of March'"),
    ("born in March 1990", ["birth_date"], "5.2(a)(2) month and year is more than the year"),
    ("born in 1990", [], "5.2(a)(2) the year alone is allowed"),
    ("DOB: 1990", [], "5.2(a)(2) the year alone is allowed"),
    ("hearing on March 5, 2026", [], "a date with no birth cue"),
    # 5.2(a)(3): minors, initials only.
    ("the minor, Emily Stone, testified", ["minor_name"], "5.2(a)(3) 'the minor, First Last'"),
    ("his minor child Jacob Reed", ["minor_name"], "5.2(a)(3) 'minor child First Last'"),
    ("Emily Stone, a minor, by her mother", ["minor_name"], "5.2(a)(3) 'First Last, a minor'"),
    ("E.S., a minor, by her mother", [], "5.2(a)(3) initials are allowed"),
    ("the minor, Liam O\u2019Brien-Hale, said", ["minor_name"], "5.2(a)(3) O'Brien-Hale"),
    # 5.2(a)(4): financial-account numbers, last four digits only.
    ("card 4111 1111 1111 1111 was charged", ["card_number"], "5.2(a)(4) card, Luhn-valid"),
    ("4111-1111-1111-1111", ["card_number"], "5.2(a)(4) card without any cue"),
    ("card 4111 1111 1111 1112", [], "fails the Luhn check: not a card number"),
    ("account no. 1234-5678-90", ["financial_account"], "5.2(a)(4) dashed account number"),
    ("Acct # 000123456789", ["financial_account"], "5.2(a)(4) account number after 'Acct #'"),
    ("routing 021000021", ["financial_account"], "5.2(a)(4) routing and account digits"),
    ("account ending in 6789", [], "5.2(a)(4) the last four digits are allowed"),
    ("account XXXXXX6789", [], "5.2(a)(4) a masked number is allowed"),
]


@pytest.mark.parametrize(("text", "kinds", "rule"), PROBES)
def test_frcp_5_2_probe(text: str, kinds: list[str], rule: str) -> None:
    assert [finding.kind for finding in scan_text(text)] == kinds, rule


def test_the_span_covers_the_whole_identifier_and_no_more() -> None:
    text = "Declarant's SSN is 123 45 6789."
    (finding,) = scan_text(text)
    assert text[finding.start : finding.end] == "123 45 6789"


def test_minors_named_in_the_inputs_are_found_in_any_order_and_case() -> None:
    text = "Jacob Reed attended. Later REED, JACOB was interviewed; J.R. signed."
    found = scan_text(text, minors=["Jacob Reed"])
    assert [text[f.start : f.end] for f in found] == ["Jacob Reed", "REED, JACOB"]


def test_a_card_number_is_one_finding_not_an_account_and_an_ssn() -> None:
    assert [f.kind for f in scan_text("account 4111 1111 1111 1111")] == ["card_number"]


def test_pages_are_counted_from_form_feeds() -> None:
    text = "page one\fpage two SSN 123-45-6789"
    (finding,) = scan_text(text)
    assert page_of(text, finding.start) == 2


@given(st.text(alphabet="abcdefghij ,.:-", max_size=200))
def test_text_without_digits_or_cues_is_clean(text: str) -> None:
    assert scan_text(text) == []
