"""Real files for the API-level document tests, as bytes to upload (tests/documents/files.py
makes the processing tests' files on disk): PDFs with a text layer, a scan, an encrypted PDF, an
executable wearing a `.pdf` name."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from tests.documents.files import page_image


def pdf(pages: Sequence[str], title: str = "Motion to compel") -> bytes:
    """A letter-size PDF, one page per text (a text layer, as a word processor exports it)."""
    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=letter)
    drawing.setTitle(title)
    for text in pages:
        y = 720
        for line in text.splitlines() or [""]:
            drawing.drawString(72, y, line)
            y -= 16
        drawing.showPage()
    drawing.save()
    return out.getvalue()


def encrypted_pdf(password: str = "s3cret") -> bytes:
    source = pikepdf.open(io.BytesIO(pdf(["sealed exhibit"])))
    out = io.BytesIO()
    source.save(out, encryption=pikepdf.Encryption(owner=password, user=password, R=6))
    return out.getvalue()


# The first bytes of a Linux executable (ELF, 64-bit, little-endian), then filler.
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)


def scanned_pdf(pages: Sequence[str] = ("EXHIBIT A: signed lease",)) -> bytes:
    """A PDF of page images only (a scan without OCR): no text layer for CM/ECF to search."""
    images = [page_image(text).convert("RGB") for text in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return out.getvalue()
