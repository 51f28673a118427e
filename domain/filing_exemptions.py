"""FRCP 5.2 routes around the redaction requirement a drafter may claim for a court filing.

Rule text: https://www.law.cornell.edu/rules/frcp/rule_5.2 . Rule 5.2(a) requires the filer to
redact SSNs, taxpayer numbers, birth dates, minors' names and financial-account numbers; 5.2(b)
lists filings the requirement does not apply to; 5.2(d) lets the court order a filing made under
seal without redaction; 5.2(f) lets a person who makes a redacted filing also file an unredacted
copy under seal; 5.2(h) waives the protection of a person's own information filed unredacted and
not under seal. A claim never files anything by itself: an attorney approves it first (see the
`draft-qc-efile` template), and the scan still flags every finding the claimed route does not
cover.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.redaction import FindingKind

# The draft step's output fields that carry a claim (domain/builtin_templates/draft-qc-efile.yaml).
CLAIM_FIELD = "frcp_5_2_exemption"
ORDER_FIELD = "seal_order"
UNREDACTED_COPY_FIELD = "unredacted_copy"


@dataclass(frozen=True, slots=True)
class ExemptionRule:
    """One route: what the rule says, and what a filing under it must carry."""

    code: str  # the value the drafter picks: "5.2(b)(1)" …
    text: str  # the rule's own words, shortened
    sealed: bool  # the filing itself goes under seal (5.2(d))
    needs_order: bool  # the court's order (or authority) must be named
    unredacted_copy: bool  # 5.2(f): a redacted public filing plus an unredacted sealed copy
    # The finding kinds the route excuses; None: every kind (the whole filing is exempt).
    excuses: frozenset[FindingKind] | None = None

    def covers(self, kind: str) -> bool:
        return self.excuses is None or kind in self.excuses


EXEMPTIONS: dict[str, ExemptionRule] = {
    rule.code: rule
    for rule in (
        ExemptionRule(
            "5.2(b)(1)",
            "a financial-account number that identifies the property allegedly subject to "
            "forfeiture in a forfeiture proceeding",
            sealed=False,
            needs_order=False,
            unredacted_copy=False,
            # Only the account number is exempt: an SSN in the same filing is still redacted.
            excuses=frozenset({"financial_account", "card_number"}),
        ),
        ExemptionRule(
            "5.2(b)(2)",
            "the record of an administrative or agency proceeding",
            sealed=False,
            needs_order=False,
            unredacted_copy=False,
        ),
        ExemptionRule(
            "5.2(b)(3)",
            "the official record of a state-court proceeding",
            sealed=False,
            needs_order=False,
            unredacted_copy=False,
        ),
        ExemptionRule(
            "5.2(b)(4)",
            "the record of a court or tribunal, if that record was not subject to the redaction "
            "requirement when originally filed",
            sealed=False,
            needs_order=False,
            unredacted_copy=False,
        ),
        ExemptionRule(
            "5.2(b)(5)",
            "a filing covered by Rule 5.2(c) (remote access limited in social-security appeals "
            "and immigration cases) or 5.2(d) (claim a sealed filing as 5.2(d))",
            sealed=False,
            needs_order=False,
            unredacted_copy=False,
        ),
        ExemptionRule(
            "5.2(b)(6)",
            "a pro se filing in an action brought under 28 U.S.C. 2241, 2254 or 2255",
            sealed=False,
            needs_order=False,
            unredacted_copy=False,
        ),
        ExemptionRule(
            "5.2(d)",
            "the court may order that a filing be made under seal without redaction",
            sealed=True,
            needs_order=True,
            unredacted_copy=False,
        ),
        ExemptionRule(
            "5.2(f)",
            "a person making a redacted filing may also file an unredacted copy under seal",
            sealed=False,
            needs_order=True,
            unredacted_copy=True,
            excuses=frozenset(),  # the public copy is redacted: every finding in it is flagged
        ),
        ExemptionRule(
            "5.2(h)",
            "a person waives the protection of Rule 5.2(a) as to the person's own information "
            "by filing it without redaction and not under seal",
            sealed=False,
            needs_order=False,
            unredacted_copy=False,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ExemptionClaim:
    rule: ExemptionRule
    order: str | None
    unredacted_copy: str | None  # the sealed copy's document id (5.2(f))

    def audited(self) -> dict[str, Any]:
        """What the timeline and audit keep of the claim: the route and its basis, never an
        identifier (the scan's findings carry kinds and pages only)."""
        return {
            "basis": f"FRCP {self.rule.code}",
            "rule": self.rule.text,
            "sealed": self.rule.sealed or self.rule.unredacted_copy,
            "order_reference_given": self.order is not None,
        }


class ClaimError(ValueError):
    """A claim the template's schema should have refused (a hand-made template, old data)."""


def claim_in(output: Mapping[str, Any] | None) -> ExemptionClaim | None:
    """The exemption a draft step's output claims, or None; ClaimError when it is malformed."""
    if not output or not output.get(CLAIM_FIELD):
        return None
    code = output[CLAIM_FIELD]
    rule = EXEMPTIONS.get(code) if isinstance(code, str) else None
    if rule is None:
        raise ClaimError(f"{code!r} is not an FRCP 5.2 exemption ({', '.join(EXEMPTIONS)})")
    order = output.get(ORDER_FIELD)
    order = order.strip() if isinstance(order, str) and order.strip() else None
    if rule.needs_order and order is None:
        raise ClaimError(f"FRCP {rule.code} needs `{ORDER_FIELD}`: the order or authority")
    copy = output.get(UNREDACTED_COPY_FIELD)
    copy = copy if isinstance(copy, str) and copy else None
    if rule.unredacted_copy and copy is None:
        raise ClaimError(f"FRCP {rule.code} needs `{UNREDACTED_COPY_FIELD}`: the sealed copy")
    return ExemptionClaim(rule=rule, order=order, unredacted_copy=copy)
