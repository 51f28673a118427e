"""Exhibit compilation: one bundle PDF with an index, a slip sheet before each exhibit, bookmarks.

The bundle opens with an index (label, title, pages in the bundle), then for each exhibit a slip
sheet ("EXHIBIT A" and its title) followed by the exhibit's own pages. Courts ask for exactly this
shape: N.D. Cal. files exhibits with slip sheets, and Cal. Rules of Court, rule 8.74(a) wants
electronic bookmarks to each exhibit, which the bundle carries too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pikepdf
from pydantic import BaseModel, ConfigDict
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from documents.errors import EncryptedPdfError
from documents.pdf_facts import open_structure

INDEX_ROWS_PER_PAGE = 30


class Exhibit(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: Path
    title: str
    label: str | None = None
    """Defaults to A, B, … Z, AA, AB … in order."""


class IndexEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    title: str
    slip_sheet_page: int
    first_page: int
    """First page of the exhibit's own content in the bundle (after its slip sheet)."""
    last_page: int


def letter_label(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the lettering exhibit lists use."""
    label = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        label = chr(ord("A") + remainder) + label
    return label


def compile_bundle(
    exhibits: Sequence[Exhibit], output: Path, *, heading: str = "INDEX OF EXHIBITS"
) -> list[IndexEntry]:
    """Write the bundle to `output` and return its index."""
    if not exhibits:
        raise ValueError("a bundle needs at least one exhibit")
    labels = [e.label or letter_label(i) for i, e in enumerate(exhibits)]
    if len(set(labels)) != len(labels):
        raise ValueError("exhibit labels must be unique")
    sources = [_open(e.source) for e in exhibits]
    try:
        index_pages = -(-len(exhibits) // INDEX_ROWS_PER_PAGE)
        entries: list[IndexEntry] = []
        page = index_pages + 1
        for exhibit, label, source in zip(exhibits, labels, sources, strict=True):
            count = len(source.pages)
            entries.append(
                IndexEntry(
                    label=label,
                    title=exhibit.title,
                    slip_sheet_page=page,
                    first_page=page + 1,
                    last_page=page + count,
                )
            )
            page += count + 1
        with (
            pikepdf.open(io.BytesIO(_index_pdf(heading, entries))) as index,
            pikepdf.open(io.BytesIO(_slip_sheets(entries))) as slips,
            pikepdf.new() as bundle,
        ):
            bundle.pages.extend(index.pages)
            for slip, source in zip(slips.pages, sources, strict=True):
                bundle.pages.append(slip)
                bundle.pages.extend(source.pages)
            with bundle.open_outline() as outline:
                outline.root.append(pikepdf.OutlineItem("Index", 0))
                for entry in entries:
                    title = f"Exhibit {entry.label} — {entry.title}"
                    outline.root.append(pikepdf.OutlineItem(title, entry.slip_sheet_page - 1))
            bundle.save(output)
    finally:
        for source in sources:
            source.close()
    return entries


def _open(path: Path) -> pikepdf.Pdf:
    with open_structure(path) as checked:
        encrypted = checked.is_encrypted
    if encrypted:
        raise EncryptedPdfError(f"{path.name} is encrypted and cannot be bundled")
    return pikepdf.open(path)


def _index_pdf(heading: str, entries: list[IndexEntry]) -> bytes:
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=letter)
    width, height = letter
    for start in range(0, len(entries), INDEX_ROWS_PER_PAGE):
        drawing.setFont("Helvetica-Bold", 14)
        drawing.drawCentredString(width / 2, height - 72, heading)
        drawing.setFont("Helvetica-Bold", 10)
        y = height - 108
        drawing.drawString(72, y, "Exhibit")
        drawing.drawString(144, y, "Description")
        drawing.drawRightString(width - 72, y, "Pages")
        drawing.setFont("Helvetica", 10)
        for entry in entries[start : start + INDEX_ROWS_PER_PAGE]:
            y -= 18
            drawing.drawString(72, y, entry.label)
            drawing.drawString(144, y, _fit(entry.title, 70))
            drawing.drawRightString(width - 72, y, f"{entry.slip_sheet_page}-{entry.last_page}")
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def _slip_sheets(entries: list[IndexEntry]) -> bytes:
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=letter)
    width, height = letter
    for entry in entries:
        drawing.setFont("Helvetica-Bold", 36)
        drawing.drawCentredString(width / 2, height / 2 + 18, f"EXHIBIT {entry.label}")
        drawing.setFont("Helvetica", 14)
        drawing.drawCentredString(width / 2, height / 2 - 18, _fit(entry.title, 60))
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def _fit(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
