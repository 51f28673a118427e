"""Court e-filing behind an adapter interface, with a deterministic sandbox court built in.

A real adapter (CM/ECF, a Tyler EFSP over OASIS ECF 5.0) implements `CourtEfiler`; the sandbox
court checks the filing the way clerks and EFSPs do: the case number, the court and the /s/
signature from the engagement, and the actual PDF (documents/court_checks.py: not a PDF,
password-protected, over the size limit, no text layer, embedded files or JavaScript), and answers
the same way every time for the same filing. A sealed filing (FRCP 5.2(d), or the unredacted
copy of 5.2(f)) carries the order or authority that permits it, and its receipt says sealed.

E-filing files exactly the version the latest attorney approval pinned (activities/read_model.py
pins each document's version when an approval is completed), and refuses, back to the drafter,
a document whose newer version was uploaded after the approval: that version went through no
FRCP 5.2 scan, no QC and no approval, and filing it would file unapproved work product. Filing the
older approved version instead was rejected as the rule: the newer upload is usually a correction
(say, a redaction that was missed), and filing the superseded one would put it on the record.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from temporalio import activity

from activities.document_steps import DocumentSteps, NamedDocument
from documents.court_checks import check_filing
from domain.filing_exemptions import ClaimError, claim_in
from domain.messages import AutomatedStepInput, AutomatedStepResult

CASE_NUMBER = re.compile(r"^\d{1,2}:\d{2}-(cv|cr|bk|mc|md)-\d{4,5}$")
SIGNATURE = re.compile(r"^/?s/ \S.+$")
MAX_FILE_MB = 35.0  # C.D. Cal. L.R. 5-4.3.1: 35 MB per file
MAX_FILE_BYTES = int(MAX_FILE_MB * 1024 * 1024)
SANDBOX_COURTS = frozenset(
    {"NDCA", "CDCA", "SDCA", "EDCA", "SDNY", "EDNY", "NDIL", "DDC", "DMA", "NDTX", "SDTX", "DNJ"}
)


@dataclass(frozen=True)
class Filing:
    court: str
    case_number: str
    document_type: str
    document_title: str
    signature: str
    # The PDF as the court receives it: which document and version, and what is wrong with it.
    document_id: str | None
    version: int | None
    size_bytes: int
    pages: int
    problems: tuple[tuple[str, str], ...]
    submission_key: str  # stable per attempt: resubmitting the same attempt is not a new filing
    # Under seal (FRCP 5.2(d), or the unredacted copy of 5.2(f)), with the order or authority.
    sealed: bool = False
    seal_authority: str | None = None


@dataclass(frozen=True)
class FilingReceipt:
    accepted: bool
    envelope_id: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    sealed: bool = False


class CourtEfiler(Protocol):
    async def submit(self, filing: Filing) -> FilingReceipt: ...


class SandboxCourt:
    """Accepts or rejects deterministically from the filing's metadata."""

    async def submit(self, filing: Filing) -> FilingReceipt:
        checks = [
            (
                filing.court in SANDBOX_COURTS,
                "UNKNOWN_COURT",
                f"court {filing.court!r} is not served",
            ),
            (
                bool(CASE_NUMBER.match(filing.case_number)),
                "INVALID_CASE_NUMBER",
                f"case number {filing.case_number!r} is not in the form 3:24-cv-01234",
            ),
            (
                bool(SIGNATURE.match(filing.signature)),
                "MISSING_SIGNATURE",
                "the signature block needs the filing attorney's /s/ signature (FRCP 11(a))",
            ),
            (
                filing.document_id is not None,
                "NO_DOCUMENT",
                "no PDF was attached to the filing: the draft step names none",
            ),
            (
                not filing.sealed or bool(filing.seal_authority),
                "SEAL_WITHOUT_AUTHORITY",
                "a sealed filing must name the order or authority that permits it "
                "(FRCP 5.2(d), 5.2(f))",
            ),
            *((False, code, reason) for code, reason in filing.problems),
        ]
        for passed, code, reason in checks:
            if not passed:
                return FilingReceipt(
                    accepted=False, reason_code=code, reason=reason, sealed=filing.sealed
                )
        digest = hashlib.sha256(filing.submission_key.encode()).hexdigest()[:12].upper()
        prefix = "SBX-SEALED-" if filing.sealed else "SBX-"
        return FilingReceipt(accepted=True, envelope_id=f"{prefix}{digest}", sealed=filing.sealed)


@dataclass(frozen=True)
class Refused:
    """A filing stopped before the court: the outcome is `rejected`, back to the drafter."""

    reason_code: str
    reason: str


class EfilingActivities:
    def __init__(self, court: CourtEfiler, documents: DocumentSteps) -> None:
        self._court = court
        self._documents = documents

    async def _approved(
        self, step: AutomatedStepInput, document_id: object
    ) -> tuple[dict[str, Any], NamedDocument | Refused | None]:
        """The version of `document_id` the latest attorney approval pinned, as the court gets
        it; Refused when no approval names it or a newer version was uploaded after it (that
        version went through no scan, QC or approval: filing it would file unapproved work)."""
        named = await self._documents.named(step.model_copy(update={"outputs": {"_": document_id}}))
        if not named:
            return {"document_id": None, "version": None}, None
        current = named[0]
        pins = await self._documents.approved_versions(uuid.UUID(step.engagement_id))
        approved = pins.get(current.document.id)
        filed = {
            "document_id": str(current.document.id),
            "version": current.version.version,
            "approved_version": approved,
        }
        if approved is None:
            return filed, Refused(
                "NOT_APPROVED",
                "no attorney approval names this document: it goes back for approval",
            )
        if approved != current.version.version:
            return filed, Refused(
                "NOT_THE_APPROVED_VERSION",
                f"version {current.version.version} was uploaded after the attorney approved "
                f"version {approved}: it goes back through the scan, QC and approval",
            )
        # Exactly the approved version, even if another is uploaded while this step runs.
        version = await self._documents.version(current.document.id, approved)
        return filed, NamedDocument(current.document, version)

    async def _filing(
        self,
        step: AutomatedStepInput,
        draft: dict[str, Any],
        chosen: NamedDocument | None,
        *,
        sealed: bool,
        seal_authority: str | None,
        key: str,
    ) -> Filing:
        problems: list[tuple[str, str]] = []
        if chosen is not None:
            async with self._documents.local_copy(chosen.version) as path:
                found = await asyncio.to_thread(check_filing, path, max_bytes=MAX_FILE_BYTES)
            problems = [(str(p.code).upper(), p.message) for p in found]
        return Filing(
            court=str(step.inputs.get("court", "")),
            case_number=str(step.inputs.get("case_number", "")),
            document_type=str(step.inputs.get("document_type", "")),
            document_title=chosen.document.title if chosen else "",
            signature=str(draft.get("signature", "")),
            document_id=str(chosen.document.id) if chosen else None,
            version=chosen.version.version if chosen else None,
            size_bytes=chosen.version.size if chosen else 0,
            pages=(chosen.version.pages or 0) if chosen else 0,
            problems=tuple(problems),
            submission_key=key,
            sealed=sealed,
            seal_authority=seal_authority,
        )

    async def _submit(
        self,
        step: AutomatedStepInput,
        draft: dict[str, Any],
        document_id: object,
        *,
        sealed: bool,
        seal_authority: str | None,
        key: str,
    ) -> tuple[bool, dict[str, Any]]:
        """File one document (its approved version): accepted or not, and what to record."""
        filed, chosen = await self._approved(step, document_id)
        filed["sealed"] = sealed
        if isinstance(chosen, Refused):
            return False, {"reason_code": chosen.reason_code, "reason": chosen.reason, **filed}
        filing = await self._filing(
            step, draft, chosen, sealed=sealed, seal_authority=seal_authority, key=key
        )
        receipt = await self._court.submit(filing)
        filed["sealed"] = receipt.sealed
        if receipt.accepted:
            return True, {"envelope_id": receipt.envelope_id, **filed}
        return False, {"reason_code": receipt.reason_code, "reason": receipt.reason, **filed}

    @activity.defn(name="efile_submit")
    async def efile_submit(self, step: AutomatedStepInput) -> AutomatedStepResult:
        """File the draft's approved version; under an approved FRCP 5.2 claim, under seal
        (5.2(d)) or as the redacted public copy plus the unredacted copy under seal (5.2(f))."""
        draft: dict[str, Any] = step.outputs.get("draft", {})
        try:
            claim = claim_in(draft)
        except ClaimError as error:
            return AutomatedStepResult(
                outcome="rejected",
                detail={"reason_code": "INVALID_EXEMPTION", "reason": str(error)},
            )
        sealed = claim is not None and claim.rule.sealed
        authority = claim.order if claim else None
        accepted, detail = await self._submit(
            step,
            draft,
            draft.get("document"),
            sealed=sealed,
            seal_authority=authority if sealed else None,
            key=step.attempt_key,
        )
        if claim is not None:
            detail["exemption"] = f"FRCP {claim.rule.code}"
        if accepted and claim is not None and claim.rule.unredacted_copy:
            accepted, detail["sealed_copy"] = await self._submit(
                step,
                draft,
                claim.unredacted_copy,
                sealed=True,
                seal_authority=authority,
                key=f"{step.attempt_key}:sealed-copy",
            )
            if not accepted:  # the public copy is filed; the sealed copy says what failed
                detail["reason_code"] = detail["sealed_copy"].get("reason_code")
        return AutomatedStepResult(outcome="accepted" if accepted else "rejected", detail=detail)
