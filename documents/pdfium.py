"""A typed face on PDFium (pypdfium2 ships no type information).

PDFium is the engine Chrome renders PDFs with: it reads the text layer more faithfully and about
four times faster than a pure-Python parser, and renders a page for OCR without a subprocess. A
document is opened from its path, so a large file is read page by page, never held whole.

PDFium is not thread-safe (pypdfium2's documentation says so), and a worker runs activities in
threads: every call into it holds one process-wide lock. Rendering is the only long call, and OCR,
the slow part, runs outside it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image

from documents.errors import EncryptedPdfError, UnreadableError

_PDFIUM = threading.RLock()

# Descend this far into nested Form XObjects when looking for painted images.
_FORM_DEPTH = 8


class Page:
    """One page, open while its `PdfiumDocument.page` block runs."""

    def __init__(self, page: Any) -> None:
        self._page = page

    def text(self) -> str:
        with _PDFIUM:
            textpage = self._page.get_textpage()
            try:
                return str(textpage.get_text_range())
            finally:
                textpage.close()

    def has_images(self) -> bool:
        with _PDFIUM:
            kinds = [pdfium_c.FPDF_PAGEOBJ_IMAGE]
            images = self._page.get_objects(filter=kinds, max_depth=_FORM_DEPTH)
            return next(iter(images), None) is not None

    def has_content(self) -> bool:
        """Whether the page paints anything at all (a blank page paints nothing)."""
        with _PDFIUM:
            return next(iter(self._page.get_objects(max_depth=1)), None) is not None

    def render_gray(self, dpi: int) -> Image.Image:
        with _PDFIUM:
            bitmap = self._page.render(scale=dpi / 72, grayscale=True)
            image: Image.Image = bitmap.to_pil()
            # A copy owns its pixels: the bitmap's buffer belongs to PDFium.
            return image.copy()


class PdfiumDocument:
    def __init__(self, document: Any) -> None:
        self._document = document

    def __len__(self) -> int:
        with _PDFIUM:
            return len(self._document)

    @contextmanager
    def page(self, index: int) -> Iterator[Page]:
        with _PDFIUM:
            page = self._document[index]
        try:
            yield Page(page)
        finally:
            with _PDFIUM:
                page.close()


@contextmanager
def open_pdf(path: Path) -> Iterator[PdfiumDocument]:
    """Open `path` with PDFium; a password or damage raises the matching typed refusal."""
    try:
        with _PDFIUM:
            document = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as error:
        if "password" in str(error).lower():
            raise EncryptedPdfError("the PDF is password-protected") from error
        raise UnreadableError(f"the PDF cannot be read: {error}") from error
    try:
        yield PdfiumDocument(document)
    finally:
        with _PDFIUM:
            document.close()
