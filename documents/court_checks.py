"""A PDF checked the way CM/ECF and state EFSPs reject filings, before anyone files it.

Each rule is one a court publishes (see docs/documents-processing.md for the sources): the file
must be a PDF; it must not be password-protected or encrypted; it must fit the court's size limit
per file (C.D. Cal. L.R. 5-4.3.1: 35 MB; N.D. Cal. splits at 50 MB); every page must be
text-searchable (C.D. Cal. L.R. 5-4.3.1 prohibits scanned-image PDFs; Cal. Rules of Court
8.74(a)); and it must carry no embedded files or JavaScript (EFSPs auto-reject active content
and attachments).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from documents.errors import UnreadableError
from documents.pdf_facts import read_facts

MB = 1024 * 1024
# C.D. Cal. L.R. 5-4.3.1: "no single file may exceed 35 MB". Callers pass their court's limit.
DEFAULT_MAX_BYTES = 35 * MB


class ProblemCode(StrEnum):
    NOT_A_PDF = "not_a_pdf"
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    TOO_LARGE = "too_large"
    NOT_TEXT_SEARCHABLE = "not_text_searchable"
    EMBEDDED_FILES = "embedded_files"
    JAVASCRIPT = "javascript"


class FilingProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: ProblemCode
    message: str
    pages: list[int] = []


def check_filing(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[FilingProblem]:
    """Every reason a court's e-filing system would reject the file at `path`; [] if none."""
    problems: list[FilingProblem] = []
    size = path.stat().st_size
    if size > max_bytes:
        problems.append(
            FilingProblem(
                code=ProblemCode.TOO_LARGE,
                message=f"the file is {size / MB:.1f} MB; the court accepts at most "
                f"{max_bytes / MB:.0f} MB per file (split it into attachments)",
            )
        )
    with path.open("rb") as file:
        if b"%PDF-" not in file.read(1024):
            return [_problem(ProblemCode.NOT_A_PDF, "the file is not a PDF"), *problems]
    try:
        facts = read_facts(path)
    except UnreadableError as error:
        return [_problem(ProblemCode.UNREADABLE, error.detail), *problems]
    if facts.encrypted:
        what = "password-protected" if facts.password_required else "encrypted (permissions lock)"
        problems.append(
            _problem(ProblemCode.ENCRYPTED, f"the PDF is {what}; courts accept only unlocked PDFs")
        )
    if scans := facts.pages_without_text:
        problems.append(
            FilingProblem(
                code=ProblemCode.NOT_TEXT_SEARCHABLE,
                message=f"{_pages(scans)} {'has' if len(scans) == 1 else 'have'} no text layer "
                "(scanned images); publish from the word processor or OCR them",
                pages=scans,
            )
        )
    if facts.embedded_files:
        problems.append(
            _problem(
                ProblemCode.EMBEDDED_FILES,
                f"the PDF embeds {len(facts.embedded_files)} file(s) "
                f"({', '.join(facts.embedded_files)}); file attachments separately",
            )
        )
    if facts.scripts:
        places = sorted({s.place + (f" on page {s.page}" if s.page else "") for s in facts.scripts})
        problems.append(
            FilingProblem(
                code=ProblemCode.JAVASCRIPT,
                message=f"the PDF contains JavaScript ({'; '.join(places)})",
                pages=sorted({s.page for s in facts.scripts if s.page}),
            )
        )
    return problems


def _problem(code: ProblemCode, message: str) -> FilingProblem:
    return FilingProblem(code=code, message=message)


def _pages(pages: list[int]) -> str:
    shown = ", ".join(str(p) for p in pages[:20]) + (" …" if len(pages) > 20 else "")
    return f"page {shown}" if len(pages) == 1 else f"pages {shown}"
