"""The text of a document, page by page: the PDF's text layer, OCR where there is none.

`iter_pages` yields one `PageText` at a time, so a 500-page scan is rendered, read and released
page by page, never held whole (at most two rendered pages wait for OCR). A PDF page with a text
layer is read as it is; a page that paints something but has no text (a scan) is rendered at
300 dpi and OCR'd; images are OCR'd frame by frame (TIFF). DOCX, TXT, EML and CSV have no fixed
pages and come back as one page.
"""

from __future__ import annotations

import email
import email.policy
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import docx
from PIL import Image, ImageSequence
from pydantic import BaseModel, ConfigDict

from documents import pdfium
from documents.content_types import IMAGE_TYPES, ContentType
from documents.errors import UnreadableError
from documents.ocr import OCR_DPI, ocr_image
from documents.sniff import check_zip_expansion


class PageText(BaseModel):
    model_config = ConfigDict(frozen=True)

    page: int
    """1-based page (PDF page or TIFF frame); 1 for formats without fixed pages."""
    text: str
    ocr: bool
    """The text was read by OCR from an image, not taken from a text layer."""


def extract_text(path: Path, content_type: ContentType, *, ocr: bool = True) -> list[PageText]:
    """All pages' text of the file at `path` (its type as `sniff.identify` returned it)."""
    return list(iter_pages(path, content_type, ocr=ocr))


def iter_pages(path: Path, content_type: ContentType, *, ocr: bool = True) -> Iterator[PageText]:
    if content_type == ContentType.PDF:
        yield from _pdf_pages(path, ocr=ocr)
    elif content_type in IMAGE_TYPES:
        if ocr:
            yield from _image_pages(path)
    elif content_type == ContentType.DOCX:
        yield PageText(page=1, text=_docx_text(path), ocr=False)
    elif content_type == ContentType.EML:
        yield PageText(page=1, text=_eml_text(path), ocr=False)
    else:
        yield PageText(page=1, text=path.read_text(encoding="utf-8-sig"), ocr=False)


def _pdf_pages(path: Path, *, ocr: bool) -> Iterator[PageText]:
    # While Tesseract reads one page (a subprocess) the next page is rendered (PDFium releases the
    # GIL), so rendering costs no wall time; at most two rendered pages wait, in page order.
    ahead: deque[PageText | Future[PageText]] = deque()
    with ThreadPoolExecutor(max_workers=1) as tesseract, pdfium.open_pdf(path) as document:
        for index in range(len(document)):
            with document.page(index) as page:
                text = page.text()
                if text.strip() or not ocr or not page.has_content():
                    ahead.append(PageText(page=index + 1, text=text, ocr=False))
                else:
                    image = page.render_gray(OCR_DPI)
                    ahead.append(tesseract.submit(_ocr_page, index + 1, image))
            while len(ahead) > 1:
                yield _ready(ahead.popleft())
        while ahead:
            yield _ready(ahead.popleft())


def _ocr_page(number: int, image: Image.Image) -> PageText:
    try:
        return PageText(page=number, text=ocr_image(image, dpi=OCR_DPI), ocr=True)
    finally:
        image.close()


def _ready(item: PageText | Future[PageText]) -> PageText:
    return item.result() if isinstance(item, Future) else item


def _image_pages(path: Path) -> Iterator[PageText]:
    try:
        with Image.open(path) as image:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                dpi = _dpi(frame.info.get("dpi"))
                yield PageText(page=number, text=ocr_image(frame, dpi=dpi), ocr=True)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableError(f"the image cannot be read: {error}") from error


def _dpi(value: object) -> int:
    # Tesseract assumes 70 dpi for an image without one and then misreads normal text sizes.
    if isinstance(value, tuple) and value and isinstance(value[0], int | float) and value[0] >= 70:
        return round(value[0])
    return OCR_DPI


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        check_zip_expansion(archive.infolist())
    document = docx.Document(str(path))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _eml_text(path: Path) -> str:
    """Header lines a reviewer reads, then the plain-text body parts, then attachment names."""
    with path.open("rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    if not isinstance(message, EmailMessage):
        return path.read_text(encoding="utf-8", errors="replace")
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Cc", "Date", "Subject")]
    lines = [line for line in lines if not line.endswith(": None")]
    body = message.get_body(preferencelist=("plain",))
    if body is not None and isinstance(body, EmailMessage):
        lines += ["", str(body.get_content())]
    names = [part.get_filename() for part in message.iter_attachments()]
    if any(names):
        lines += ["", "Attachments: " + ", ".join(n for n in names if n)]
    return "\n".join(lines)
