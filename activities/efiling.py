"""Court e-filing behind an adapter interface, with a deterministic sandbox court built in.

A real adapter (CM/ECF, a Tyler EFSP over OASIS ECF 5.0) implements `CourtEfiler`; the sandbox
court checks the filing the way clerks and EFSPs do: the case number, the court and the /s/
signature from the engagement, and the actual PDF (documents/court_checks.py: not a PDF,
password-protected, over the size limit, no text layer, embedded files or JavaScript), and answers
the same way every time for the same filing.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Protocol

from temporalio import activity

from activities.document_steps import DocumentSteps
from documents.court_checks import check_filing
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
                filing.document_id is not None,
                "NO_DOCUMENT",
                "no PDF was attached to the filing: the draft step names none",
            ),
            *((False, code, reason) for code, reason in filing.problems),
        ]
        for passed, code, reason in checks:
            if not passed:
                return FilingReceipt(accepted=False, reason_code=code, reason=reason)
        digest = hashlib.sha256(filing.submission_key.encode()).hexdigest()[:12].upper()
        return FilingReceipt(accepted=True, envelope_id=f"SBX-{digest}")


class EfilingActivities:
    def __init__(self, court: CourtEfiler, documents: DocumentSteps) -> None:
        self._court = court
        self._documents = documents

    async def filing_from(self, step: AutomatedStepInput) -> Filing:
        draft: dict[str, Any] = step.outputs.get("draft", {})
        named = await self._documents.named(step.model_copy(update={"outputs": {"draft": draft}}))
        document_id, version, size, pages = None, None, 0, 0
        problems: list[tuple[str, str]] = []
        if named:
            chosen = named[0]
            document_id, version = str(chosen.document.id), chosen.version.version
            size, pages = chosen.version.size, chosen.version.pages or 0
            async with self._documents.local_copy(chosen.version) as path:
                found = await asyncio.to_thread(check_filing, path, max_bytes=MAX_FILE_BYTES)
            problems = [(str(p.code).upper(), p.message) for p in found]
        return Filing(
            court=str(step.inputs.get("court", "")),
            case_number=str(step.inputs.get("case_number", "")),
            document_type=str(step.inputs.get("document_type", "")),
            document_title=named[0].document.title if named else "",
            signature=str(draft.get("signature", "")),
            document_id=document_id,
            version=version,
            size_bytes=size,
            pages=pages,
            problems=tuple(problems),
            submission_key=step.attempt_key,
        )

    @activity.defn(name="efile_submit")
    async def efile_submit(self, step: AutomatedStepInput) -> AutomatedStepResult:
        filing = await self.filing_from(step)
        receipt = await self._court.submit(filing)
        filed = {"document_id": filing.document_id, "version": filing.version}
        if receipt.accepted:
            return AutomatedStepResult(
                outcome="accepted", detail={"envelope_id": receipt.envelope_id, **filed}
            )
        return AutomatedStepResult(
            outcome="rejected",
            detail={"reason_code": receipt.reason_code, "reason": receipt.reason, **filed},
        )
