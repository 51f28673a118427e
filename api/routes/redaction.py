"""FRCP 5.2(a) privacy scan of a text: where it shows an identifier in full, never what it is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import Principal, require
from api.permissions import Permission
from api.schemas import Request
from domain.redaction import FindingKind, page_of, scan_text

router = APIRouter(prefix="/redaction", tags=["redaction"])


class ScanIn(Request):
    text: str = Field(
        max_length=500_000,
        description="the text to scan; pages separated by form feeds (\\f) get a page number",
    )
    minors: list[Annotated[str, Field(min_length=2, max_length=200)]] = Field(
        default_factory=list,
        max_length=100,
        description="names of individuals known to be minors (FRCP 5.2(a)(3))",
    )


class FindingOut(BaseModel):
    kind: FindingKind
    start: int = Field(description="offset of the first character in `text`")
    end: int = Field(description="offset just after the last character")
    page: int | None = Field(default=None, description="1-based, when `text` has form feeds")


class ScanOut(BaseModel):
    count: int
    findings: list[FindingOut]


@router.post("/scan", response_model=ScanOut)
async def scan(
    body: ScanIn,
    _: Annotated[Principal, Depends(require(Permission.REDACTION_SCAN))],
) -> ScanOut:
    """Find SSNs, ITINs, EINs, full birth dates, minors' names, card and account numbers.

    Offsets, not values: the answer never repeats an identifier. Nothing is stored. A person
    still decides each finding: redact it, or rely on a 5.2(b) exemption or filing under seal
    (5.2(d), (f)).
    """
    paged = "\f" in body.text
    findings = [
        FindingOut(
            kind=f.kind,
            start=f.start,
            end=f.end,
            page=page_of(body.text, f.start) if paged else None,
        )
        for f in scan_text(body.text, body.minors)
    ]
    return ScanOut(count=len(findings), findings=findings)
