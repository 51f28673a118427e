"""The automated-step activities a template may name, and the outcomes each can return.

This is the contract between templates and the worker: a template's automated step maps every
outcome its activity can return (and no other), so the interpreter never meets an outcome that
leads nowhere. Each activity is deterministic for a given input and returns exactly these outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActivitySpec:
    """One registered activity: its stable name, what it does, and the outcomes it can return."""

    name: str
    description: str
    outcomes: frozenset[str]


def _spec(name: str, description: str, *outcomes: str) -> tuple[str, ActivitySpec]:
    return name, ActivitySpec(name=name, description=description, outcomes=frozenset(outcomes))


ACTIVITY_CATALOG: dict[str, ActivitySpec] = dict(
    [
        _spec(
            "efile_submit",
            "Submit the approved document to the court's e-filing system and record the "
            "envelope id, NEF or clerk rejection (docs/service-lines.md §2.2).",
            "accepted",
            "rejected",
        ),
        _spec(
            "redaction_scan",
            "Scan for FRCP 5.2(a) identifiers (domain.redaction): SSNs, TINs (ITIN, EIN), birth "
            "dates, minors' names (the inputs' `minors` and 'the minor, First Last') and "
            "financial-account numbers (cards by Luhn); each finding names its field and span, "
            "never the identifier, and needs a reviewer's disposition.",
            "clean",
            "flagged",
        ),
        _spec(
            "filing_redaction_scan",
            "The FRCP 5.2(a) scan of a court filing (as `redaction_scan`), where the drafter may "
            "claim an FRCP 5.2(b), (d), (f) or (h) route (domain.filing_exemptions): a claim "
            "that covers every finding goes to an attorney for approval, never straight on.",
            "clean",
            "flagged",
            "exemption_claimed",
        ),
        _spec(
            "citation_check",
            "Check every cited authority exists, is correctly formed, has a pin cite and no "
            "negative citator treatment (docs/service-lines.md §2.1, Mata v. Avianca).",
            "verified",
            "problems",
        ),
        _spec(
            "completeness_check",
            "Match every medical bill to a record by provider and date of service; a bill "
            "without a record, or a record without a bill, is a missing document (§1.1 #7).",
            "complete",
            "incomplete",
        ),
        _spec(
            "invoice_generate",
            "Build the LEDES 1998B invoice file (domain.ledes) from the approved billable time "
            "and expense entries: 24 pipe-delimited fields, `[]` terminators, YYYYMMDD dates, "
            "computed line and invoice totals, UTBMS litigation codes; `invalid` names each "
            "line a receiver would reject.",
            "generated",
            "invalid",
        ),
        _spec(
            "conflict_check",
            "Search every party name (client, adverse parties, insurers, witnesses) against "
            "the firm's and the provider's matters (§1.1 #1; ABA Op. 08-451).",
            "clear",
            "conflict",
        ),
        _spec(
            "deadline_compute",
            "Compute deadlines from a trigger with the jurisdiction's rule set (FRCP 6(a), "
            "6(d); statutes of limitations) and record the rule cited (§3).",
            "computed",
        ),
        _spec(
            "send_document",
            "Deliver a document or package to its recipient by the configured method "
            "(portal, e-mail, certified mail RRR) and keep proof of delivery.",
            "sent",
        ),
        _spec(
            "email_classify",
            "Classify an incoming e-mail for triage by urgency and relevance (§9).",
            "urgent",
            "routine",
            "spam",
        ),
        _spec(
            "privilege_log_generate",
            "Build the FRCP 26(b)(5)(A) privilege log from documents coded privileged (§4.4).",
            "generated",
        ),
        _spec(
            "exhibit_stamp",
            "Stamp sequential, zero-padded Bates numbers and exhibit labels, with slip "
            "sheets and bookmarks (§1.1 #8, §2.1).",
            "stamped",
        ),
        _spec(
            "production_volume",
            "Build the production volume from the documents the reviewer assembled: "
            "Bates-stamped single-page PDFs, text, natives, DAT and OPT load files, zipped and "
            "kept as a `production` document of the engagement (documents/production.py).",
            "built",
        ),
        _spec(
            "archive",
            "File the engagement's documents into the firm's document store under its "
            "retention class (§7.4).",
            "archived",
        ),
    ]
)
