"""FRCP 5.2(a) privacy scan: where a text shows more of a protected identifier than the rule allows.

Fed. R. Civ. P. 5.2(a) (https://www.law.cornell.edu/rules/frcp/rule_5.2): unless the court orders
otherwise, a filing may include only the last four digits of a social-security or taxpayer-
identification number, the year of an individual's birth, a minor's initials and the last four
digits of a financial-account number. `scan_text` finds each place that shows more, as offsets
into the text: it never returns the identifier itself, so a caller can report findings without
copying the very data the rule protects. The same function serves the automated step, the API and
(page by page) document text; it is pure, so a document scan is a loop over pages.

What is found, and how false alarms are kept down:

- ``ssn`` / ``itin``: 3-2-4 digits with dashes, spaces or dots, or nine bare digits after an SSN or
  TIN cue ("SSN", "social security", "taxpayer identification", "TIN"). Numbers the SSA never
  issues (area 000 or 666, group 00, serial 0000) are skipped; area 9xx is an ITIN (IRS). A number
  right after a claim, policy, case, docket, invoice or file cue is that number, not an SSN.
- ``ein``: 2-7 digits (an employer identification number is a taxpayer-identification number),
  only after an EIN/TIN/tax-id cue: insurer claim numbers share the shape.
- ``birth_date``: a full date, numeric or with the month in words, within a few words after a birth
  cue ("DOB", "D.O.B.", "date of birth", "birth date", "born"). A year alone is allowed; a month and
  year is still more than the year.
- ``minor_name``: each name the caller lists as a minor (whole words, any case, "First Last" and
  "Last, First"), and the phrasings "the minor, First Last", "minor child First Last" and
  "First Last, a minor". Initials ("J.D., a minor") are what the rule allows.
- ``card_number``: 13 to 19 digits (spaces or dashes between groups) passing the Luhn check
  (ISO/IEC 7812), with or without a cue: a card number is a financial-account number.
- ``financial_account``: 6 to 17 digits, dashes or spaces allowed, after an account cue
  ("account", "acct", "a/c", "routing"); masked numbers ("XXXX1234", "ending in 1234") are allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

FindingKind = Literal[
    "ssn", "itin", "ein", "birth_date", "minor_name", "card_number", "financial_account"
]
KINDS: tuple[FindingKind, ...] = (
    "ssn",
    "itin",
    "ein",
    "birth_date",
    "minor_name",
    "card_number",
    "financial_account",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One identifier shown in full: its kind and its ``text[start:end]`` span (never the text)."""

    kind: FindingKind
    start: int
    end: int


_NOT_DIGIT_BEFORE = r"(?<![\d\w-])"
_NOT_DIGIT_AFTER = r"(?![\d-]?\d)"
_SSN_SHAPED = re.compile(_NOT_DIGIT_BEFORE + r"(\d{3})([-. ])(\d{2})\2(\d{4})" + _NOT_DIGIT_AFTER)
_NINE_DIGITS = re.compile(_NOT_DIGIT_BEFORE + r"(\d{3})(\d{2})(\d{4})" + _NOT_DIGIT_AFTER)
_EIN_SHAPED = re.compile(_NOT_DIGIT_BEFORE + r"\d{2}-\d{7}" + _NOT_DIGIT_AFTER)
_CARD_SHAPED = re.compile(_NOT_DIGIT_BEFORE + r"\d(?:[ -]?\d){12,18}" + _NOT_DIGIT_AFTER)
_ACCOUNT = re.compile(
    r"\b(?:account|acct|a/c|routing)\b\.?\s*(?:(?:no|number|num)\b\.?|#)?\s*[:#]?\s*"
    r"(\d(?:[ -]?\d){5,16})" + _NOT_DIGIT_AFTER,
    re.I,
)

_SSN_CUE = re.compile(
    r"(?:\bss(?:n|#)|\bsoc(?:ial)?\.?\s*sec(?:urity)?\b|\btaxpayer\s+id|\bt\.?i\.?n\b|\bitin\b)"
    r"[^\d]{0,25}$",
    re.I,
)
_EIN_CUE = re.compile(
    r"(?:\bf?ein\b|\bt\.?i\.?n\b|\btax\s*(?:payer\s*)?id|\bemployer\s+identification)"
    r"[^\d]{0,25}$",
    re.I,
)
_OTHER_NUMBER_CUE = re.compile(
    r"\b(?:claim|policy|case|docket|invoice|file|reference|ref|order|member|group|matter|"
    r"confirmation|tracking|bates)\b\.?\s*(?:no\b\.?|number|num\b\.?|#)?\s*[:#]?\s*$",
    re.I,
)

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_FULL_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"  # 3/5/1990, 03-05-90
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 1990-03-05
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 5, 1990
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS},?\s+\d{{4}}"  # 5 March 1990
    rf"|{_MONTHS},?\s+\d{{4}})"  # March 1990: more than the year
)
_BIRTH_DATE = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s*(?:date|day)\b|\bborn\b)"
    r"[\s:,.()-]{0,4}(?:on\s+|in\s+)?(?:[a-z]+\s+){0,2}?"
    rf"(?P<date>{_FULL_DATE})",
    re.I,
)
# Names may carry apostrophes (O'Brien, O\u2019Brien) or hyphens.
_NAME_WORD = r"[A-Z][a-z]*(?:['\u2019-][A-Z]?[a-z]+)*"
_NAME = rf"{_NAME_WORD}(?:\s+[A-Z]\.?)?\s+{_NAME_WORD}"
_MINOR_BEFORE = re.compile(
    rf"\b(?i:the|a|said)\s+(?i:minor)(?:\s+(?i:child))?,?\s+(?P<name>{_NAME})"
    rf"|\b(?i:minor\s+child),?\s+(?P<name2>{_NAME})"
)
_MINOR_AFTER = re.compile(rf"(?P<name>{_NAME}),?\s+(?i:a|the)\s+(?i:minor)\b")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _issuable_ssn(area: str, group: str, serial: str) -> bool:
    """SSA never issues area 000 or 666, group 00 or serial 0000 (SSA, SSN randomization, 2011)."""
    return area not in ("000", "666") and group != "00" and serial != "0000"


def _before(text: str, start: int) -> str:
    return text[max(0, start - 40) : start]


def _ssn_findings(text: str) -> Iterator[Finding]:
    for match in _SSN_SHAPED.finditer(text):
        area, _, group, serial = match.groups()
        context = _before(text, match.start())
        if not _issuable_ssn(area, group, serial):
            continue
        if _OTHER_NUMBER_CUE.search(context) and not _SSN_CUE.search(context):
            continue
        yield Finding("itin" if area.startswith("9") else "ssn", match.start(), match.end())
    for match in _NINE_DIGITS.finditer(text):
        area, group, serial = match.groups()
        if _SSN_CUE.search(_before(text, match.start())) and _issuable_ssn(area, group, serial):
            yield Finding("itin" if area.startswith("9") else "ssn", match.start(), match.end())


def _ein_findings(text: str) -> Iterator[Finding]:
    for match in _EIN_SHAPED.finditer(text):
        if _EIN_CUE.search(_before(text, match.start())):
            yield Finding("ein", match.start(), match.end())


def _card_findings(text: str) -> Iterator[Finding]:
    for match in _CARD_SHAPED.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            yield Finding("card_number", match.start(), match.end())


def _account_findings(text: str) -> Iterator[Finding]:
    for match in _ACCOUNT.finditer(text):
        yield Finding("financial_account", match.start(1), match.end(1))


def _birth_findings(text: str) -> Iterator[Finding]:
    for match in _BIRTH_DATE.finditer(text):
        yield Finding("birth_date", match.start("date"), match.end("date"))


def _name_variants(name: str) -> list[str]:
    parts = name.split()
    variants = [" ".join(parts)]
    if len(parts) >= 2:
        variants.append(f"{parts[-1]}, {' '.join(parts[:-1])}")
    return variants


def _minor_findings(text: str, minors: Sequence[str]) -> Iterator[Finding]:
    for name in minors:
        if len(name.strip()) < 2:
            continue
        for variant in _name_variants(name):
            words = [re.escape(word) for word in re.split(r"\s+", variant.strip())]
            pattern = re.compile(r"\b" + r"\s+".join(words) + r"\b", re.I)
            for match in pattern.finditer(text):
                yield Finding("minor_name", match.start(), match.end())
    for phrasing in (_MINOR_BEFORE, _MINOR_AFTER):
        for match in phrasing.finditer(text):
            group = "name" if match.group("name") else "name2"
            yield Finding("minor_name", match.start(group), match.end(group))


def scan_text(text: str, minors: Sequence[str] = ()) -> list[Finding]:
    """Every FRCP 5.2(a) identifier ``text`` shows in full, in text order, without overlaps.

    ``minors`` are names of individuals known to be minors (e.g. from the engagement's inputs).
    Where two detectors claim the same characters, the longer span wins (a card number contains
    nine-digit runs; "account 4111 1111 1111 1111" is one card, not an account and a card).
    """
    candidates = [
        *_card_findings(text),
        *_ssn_findings(text),
        *_ein_findings(text),
        *_account_findings(text),
        *_birth_findings(text),
        *_minor_findings(text, minors),
    ]
    kept: list[Finding] = []
    for finding in sorted(candidates, key=lambda f: (-(f.end - f.start), f.start)):
        if all(finding.end <= other.start or finding.start >= other.end for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


def page_of(text: str, offset: int) -> int:
    """The 1-based page of ``offset`` in text whose pages are separated by form feeds (``\\f``),
    as PDF text extractors (pdftotext) emit them."""
    return text.count("\f", 0, offset) + 1
