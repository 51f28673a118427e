"""What an uploaded file really is, decided from its bytes, never from its name alone.

`identify` returns one of the allow-listed content types (content_types.ContentType) with the page
count where there is one, or raises the typed refusal the API answers with: an empty file, a type
outside the allow-list (an executable, HTML, a plain ZIP), bytes that are not what the name or the
declared type claims (an executable named `.pdf`), an encrypted PDF, or a truncated one.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from pathlib import Path

import puremagic
from PIL import Image
from pydantic import BaseModel, ConfigDict

from documents.content_types import (
    BLOCKED_DECLARED_TYPES,
    BLOCKED_EXTENSIONS,
    BY_DECLARED_TYPE,
    BY_EXTENSION,
    GENERIC_DECLARED_TYPES,
    TEXT_TYPES,
    ContentType,
    describe,
)
from documents.errors import (
    EmptyFileError,
    EncryptedPdfError,
    MismatchError,
    NotAllowedTypeError,
    UnreadableError,
)
from documents.pdf_facts import open_structure

# Readers accept a PDF header anywhere in the first 1,024 bytes (PDF 32000-1:2008, annex H.3).
_PDF_HEADER_WINDOW = 1024
_HEAD = 64 * 1024
_CHUNK = 1024 * 1024

# A DOCX is inspected through its central directory only; these bound what it would expand to.
DOCX_MAX_ENTRIES = 5_000
DOCX_MAX_UNCOMPRESSED = 512 * 1024 * 1024
DOCX_MAX_RATIO = 200  # real Word XML deflates ~10x; zip bombs reach 1,000x and more

# RFC 5322 section 3.6: a message must have an origination date and a From field.
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_ACTIVE_TEXT = re.compile(rb"^\s*(<!doctype\s+html|<html|<\?xml|<svg|<script|<body|<head)", re.I)


class Identified(BaseModel):
    model_config = ConfigDict(frozen=True)

    content_type: ContentType
    pages: int | None
    """Pages of a PDF or frames of a TIFF; 1 for PNG/JPEG; None where pages are not fixed."""


def identify(path: Path, filename: str, declared_type: str | None = None) -> Identified:
    """The allow-listed type of the file at `path`, checked against its name and declared type."""
    if path.stat().st_size == 0:
        raise EmptyFileError("the file is empty")
    extension = Path(filename).suffix.lower()
    declared = (declared_type or "").split(";")[0].strip().lower()
    if extension in BLOCKED_EXTENSIONS:
        raise NotAllowedTypeError(f"files named {extension} are not accepted")
    if declared in BLOCKED_DECLARED_TYPES:
        raise NotAllowedTypeError(f"files of type {declared} are not accepted")

    claims: dict[str, ContentType] = {}
    if extension in BY_EXTENSION:
        claims[f"named {extension}"] = BY_EXTENSION[extension]
    if declared in BY_DECLARED_TYPE:
        claims[f"declared {declared}"] = BY_DECLARED_TYPE[declared]
    elif declared not in GENERIC_DECLARED_TYPES:
        raise NotAllowedTypeError(f"files of type {declared} are not accepted")

    with path.open("rb") as file:
        head = file.read(_HEAD)
    actual = _binary_type(path, head)
    if actual is None and _is_utf8_text(path):
        actual = _text_type(path, head, set(claims.values()))
    if actual is None:
        what = _what_it_is(head)
        if claims:
            claim = next(iter(claims))
            raise MismatchError(f"the file is {claim} but its content is {what}")
        raise NotAllowedTypeError(
            f"the file's content is {what}; accepted are PDF, DOCX, PNG, JPEG, TIFF, UTF-8 text, "
            "EML and CSV"
        )
    for claim, claimed in claims.items():
        if claimed != actual and not (claimed == ContentType.TXT and actual in TEXT_TYPES):
            raise MismatchError(f"the file is {claim} but its content is {describe(actual)}")
    if actual in TEXT_TYPES and ContentType.TXT in claims.values():
        actual = ContentType.TXT
    return Identified(content_type=actual, pages=_pages(path, actual))


def _binary_type(path: Path, head: bytes) -> ContentType | None:
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return ContentType.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ContentType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return ContentType.JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return ContentType.TIFF
    if head.startswith(b"PK\x03\x04") and is_docx(path):
        return ContentType.DOCX
    return None


def is_docx(path: Path) -> bool:
    """A ZIP holding a WordprocessingML package (ECMA-376 part 2: `[Content_Types].xml` and the
    main part `word/document.xml`), without macros, that would not expand into a zip bomb.

    Decided from the central directory alone: nothing is extracted.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    check_zip_expansion(entries)
    names = {entry.filename for entry in entries}
    if "word/vbaProject.bin" in names:
        raise NotAllowedTypeError("Word documents with macros are not accepted")
    return "[Content_Types].xml" in names and "word/document.xml" in names


def check_zip_expansion(entries: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive whose entries would expand far beyond a real document's."""
    if len(entries) > DOCX_MAX_ENTRIES:
        raise UnreadableError(f"the archive has {len(entries)} entries, more than a document has")
    total = sum(entry.file_size for entry in entries)
    if total > DOCX_MAX_UNCOMPRESSED:
        raise UnreadableError(f"the archive would expand to {total // (1024 * 1024)} MB")
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise UnreadableError("the archive's entries are password-protected")
        big = entry.file_size > 1024 * 1024
        if big and entry.file_size > DOCX_MAX_RATIO * entry.compress_size:
            ratio = entry.file_size // max(entry.compress_size, 1)
            raise UnreadableError(f"{entry.filename} would expand {ratio}x, like a zip bomb")


def _is_utf8_text(path: Path) -> bool:
    """Strict UTF-8 throughout, with no NUL or other C0 controls than tab, newline, FF and CR."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            if _has_binary_controls(chunk):
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_BINARY_CONTROLS = bytes(set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D})


def _has_binary_controls(chunk: bytes) -> bool:
    return len(chunk.translate(None, _BINARY_CONTROLS)) != len(chunk)


def _text_type(path: Path, head: bytes, claimed: set[ContentType]) -> ContentType | None:
    body = head.removeprefix(codecs.BOM_UTF8)
    if _ACTIVE_TEXT.match(body):
        return None  # HTML/XML/SVG: rendered as active content by a browser
    if ContentType.CSV in claimed:
        _check_csv(path)
        return ContentType.CSV
    if is_rfc5322_message(body):
        return ContentType.EML
    return ContentType.TXT


def is_rfc5322_message(head: bytes) -> bool:
    """Header fields from the first line up to a blank line, with From and Date among them."""
    names: set[bytes] = set()
    for line in head.splitlines():
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            if not names:
                return False
            continue  # a folded continuation of the previous field
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower())
    return {b"from", b"date"} <= names


def _check_csv(path: Path) -> None:
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            for _ in csv.reader(file, strict=True):
                pass
    except csv.Error as error:
        raise UnreadableError(f"the CSV cannot be parsed: {error}") from error


def _pages(path: Path, content_type: ContentType) -> int | None:
    if content_type == ContentType.PDF:
        with open_structure(path) as pdf:
            if pdf.is_encrypted:
                raise EncryptedPdfError(
                    "the PDF is encrypted (it has a password or permission lock)"
                )
            return len(pdf.pages)
    if content_type in (ContentType.PNG, ContentType.JPEG, ContentType.TIFF):
        try:
            with Image.open(path) as image:
                frames = getattr(image, "n_frames", 1)
                image.verify()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            raise UnreadableError(f"the image cannot be read: {error}") from error
        return int(frames)
    return None


def _what_it_is(head: bytes) -> str:
    """A plain name for bytes outside the allow-list, for the refusal's message."""
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive that is not a Word document"
    if _ACTIVE_TEXT.match(head.removeprefix(codecs.BOM_UTF8)):
        return "HTML or XML markup"
    try:
        name = puremagic.magic_string(head)[0].name
    except (puremagic.PureError, IndexError, ValueError):
        return "not a recognised document"
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
