"""Court e-filing behind an adapter interface, with a deterministic sandbox court built in.

A real adapter (CM/ECF, a Tyler EFSP over OASIS ECF 5.0) implements `CourtEfiler`; the sandbox
court checks the filing metadata the way clerks and EFSPs do (domain.md §2.2: wrong case number,
wrong court, size limits, missing signature are the common rejection causes) and answers the same
way every time for the same filing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Protocol

from temporalio import activity

from domain.messages import AutomatedStepInput, AutomatedStepResult

CASE_NUMBER = re.compile(r"^\d{1,2}:\d{2}-(cv|cr|bk|mc|md)-\d{4,5}$")
SIGNATURE = re.compile(r"^/?s/ \S.+$")
MAX_FILE_MB = 35.0  # C.D. Cal. L.R. 5-4.3.1: 35 MB per file
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
    file_size_mb: float
    page_count: int
    text_searchable: bool
    submission_key: str  # stable per attempt: resubmitting the same attempt is not a new filing


@dataclass(frozen=True)
class FilingReceipt:
    accepted: bool
    envelope_id: str | None = None
    reason_code: str | None = None
    reason: str | None = None


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
                filing.file_size_mb <= MAX_FILE_MB,
                "FILE_TOO_LARGE",
                f"{filing.file_size_mb} MB exceeds the {MAX_FILE_MB:g} MB per-file limit",
            ),
            (
                filing.text_searchable,
                "NOT_TEXT_SEARCHABLE",
                "electronically filed documents must be text-searchable PDFs",
            ),
        ]
        for passed, code, reason in checks:
            if not passed:
                return FilingReceipt(accepted=False, reason_code=code, reason=reason)
        digest = hashlib.sha256(filing.submission_key.encode()).hexdigest()[:12].upper()
        return FilingReceipt(accepted=True, envelope_id=f"SBX-{digest}")


def filing_from(step: AutomatedStepInput) -> Filing:
    draft: dict[str, Any] = step.outputs.get("draft", {})
    return Filing(
        court=str(step.inputs.get("court", "")),
        case_number=str(step.inputs.get("case_number", "")),
        document_type=str(step.inputs.get("document_type", "")),
        document_title=str(draft.get("document_title", "")),
        signature=str(draft.get("signature", "")),
        file_size_mb=float(draft.get("file_size_mb", 0)),
        page_count=int(draft.get("page_count", 0)),
        text_searchable=bool(draft.get("text_searchable", True)),
        submission_key=step.attempt_key,
    )


class EfilingActivities:
    def __init__(self, court: CourtEfiler) -> None:
        self._court = court

    @activity.defn(name="efile_submit")
    async def efile_submit(self, step: AutomatedStepInput) -> AutomatedStepResult:
        receipt = await self._court.submit(filing_from(step))
        if receipt.accepted:
            return AutomatedStepResult(
                outcome="accepted", detail={"envelope_id": receipt.envelope_id}
            )
        return AutomatedStepResult(
            outcome="rejected",
            detail={"reason_code": receipt.reason_code, "reason": receipt.reason},
        )
