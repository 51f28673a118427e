"""A production volume for document review: Bates-stamped page images plus DAT/OPT load files.

Laid out the way review platforms (Concordance, Relativity) load it:

    VOL001/IMAGES/0001/HM000001.pdf   one single-page, Bates-stamped PDF per produced page
    VOL001/NATIVES/0001/HM000004.csv  the original of each document produced natively
    VOL001/TEXT/0001/HM000001.txt     the document's text (text layer or OCR), UTF-8
    VOL001/DATA/VOL001.dat            Concordance DAT: one record per document
    VOL001/DATA/VOL001.opt            Opticon image cross-reference: one line per page

PDFs and images are imaged page by page; a document that has no fixed pages (DOCX, TXT, CSV, EML)
is produced natively with a one-page placeholder image carrying its Bates number, as ESI protocols
commonly agree for natively produced files.
The formats are described, with sources, in docs/documents-processing.md.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import pikepdf
from PIL import Image, ImageSequence
from pydantic import BaseModel, ConfigDict
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from documents.bates import stamp_set
from documents.content_types import IMAGE_TYPES, ContentType
from documents.text import iter_pages

# Concordance's default delimiters: þ (U+00FE) quotes every field, DC4 (U+0014) separates them,
# ® (U+00AE) stands for a newline inside a field.
QUOTE = "\u00fe"
SEPARATOR = "\u0014"
NEWLINE_IN_FIELD = "\u00ae"
DAT_FIELDS = (
    "BEGBATES",
    "ENDBATES",
    "BEGATTACH",
    "ENDATTACH",
    "CUSTODIAN",
    "FILENAME",
    "TITLE",
    "PAGES",
    "NATIVELINK",
    "TEXTLINK",
)
FILES_PER_FOLDER = 1000


class ProducedDocument(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: Path
    content_type: ContentType
    filename: str
    title: str
    custodian: str
    family: str | None = None
    """Documents of one family (an e-mail and its attachments) share this key, parent first, and
    stand next to each other in the list; BEGATTACH/ENDATTACH then span the whole family."""


class ProducedRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    begbates: str
    endbates: str
    begattach: str
    endattach: str
    pages: int
    native: str | None
    text: str


class ProductionVolume(BaseModel):
    model_config = ConfigDict(frozen=True)

    root: Path
    dat: Path
    opt: Path
    records: list[ProducedRecord]


def build_volume(
    documents: Sequence[ProducedDocument],
    destination: Path,
    *,
    prefix: str,
    start: int = 1,
    width: int = 6,
    volume: str = "VOL001",
    ocr: bool = True,
) -> ProductionVolume:
    """Write volume `volume` under `destination` and return its records."""
    _check_families(documents)
    root = destination / volume
    for folder in ("IMAGES", "NATIVES", "TEXT", "DATA"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="production-") as scratch:
        work = Path(scratch)
        imaged = [_as_pdf(doc, work / f"{n}.pdf") for n, doc in enumerate(documents)]
        ranges = stamp_set(
            [(pdf, work / f"{n}-stamped.pdf") for n, pdf in enumerate(imaged)],
            prefix=prefix,
            start=start,
            width=width,
        )
        opt_lines: list[str] = []
        records: list[ProducedRecord] = []
        page_index = 0
        for number, (doc, bates) in enumerate(zip(documents, ranges, strict=True)):
            with pikepdf.open(bates.output) as stamped:
                for offset, page in enumerate(stamped.pages):
                    name = f"{prefix}{bates.first_number + offset:0{width}d}"
                    relative = PurePosixPath("IMAGES", _folder(page_index), f"{name}.pdf")
                    _single_page(page, root / relative)
                    first = offset == 0
                    opt_lines.append(
                        ",".join(
                            [
                                name,
                                volume,
                                _windows(volume, relative),
                                "Y" if first else "",
                                "",
                                "",
                                str(bates.pages) if first else "",
                            ]
                        )
                    )
                    page_index += 1
            native = None
            if doc.content_type not in IMAGE_TYPES | {ContentType.PDF}:
                native_path = PurePosixPath(
                    "NATIVES", _folder(number), bates.first + Path(doc.filename).suffix.lower()
                )
                (root / native_path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(doc.source, root / native_path)
                native = _windows(volume, native_path)
            text_path = PurePosixPath("TEXT", _folder(number), f"{bates.first}.txt")
            (root / text_path).parent.mkdir(parents=True, exist_ok=True)
            pages = iter_pages(doc.source, doc.content_type, ocr=ocr)
            (root / text_path).write_text("\f".join(p.text for p in pages), encoding="utf-8")
            records.append(
                ProducedRecord(
                    begbates=bates.first,
                    endbates=bates.last,
                    begattach=bates.first,
                    endattach=bates.last,
                    pages=bates.pages,
                    native=native,
                    text=_windows(volume, text_path),
                )
            )
    records = _family_ranges(documents, records)
    dat = root / "DATA" / f"{volume}.dat"
    opt = root / "DATA" / f"{volume}.opt"
    _write_dat(dat, documents, records)
    # Opticon files are plain ASCII lines; review platforms expect Windows line ends.
    opt.write_bytes(("\r\n".join(opt_lines) + "\r\n").encode("ascii"))
    return ProductionVolume(root=root, dat=dat, opt=opt, records=records)


def _check_families(documents: Sequence[ProducedDocument]) -> None:
    seen: set[str] = set()
    previous: str | None = None
    for doc in documents:
        if doc.family is not None and doc.family != previous:
            if doc.family in seen:
                raise ValueError(f"family {doc.family} must be contiguous in the production")
            seen.add(doc.family)
        previous = doc.family


def _family_ranges(
    documents: Sequence[ProducedDocument], records: list[ProducedRecord]
) -> list[ProducedRecord]:
    spans: dict[str, tuple[str, str]] = {}
    for doc, record in zip(documents, records, strict=True):
        if doc.family is not None:
            first = spans.get(doc.family, (record.begbates, record.endbates))[0]
            spans[doc.family] = (first, record.endbates)
    return [
        record.model_copy(update={"begattach": spans[d.family][0], "endattach": spans[d.family][1]})
        if d.family is not None
        else record
        for d, record in zip(documents, records, strict=True)
    ]


def _write_dat(
    path: Path, documents: Sequence[ProducedDocument], records: list[ProducedRecord]
) -> None:
    rows = [DAT_FIELDS]
    for doc, record in zip(documents, records, strict=True):
        rows.append(
            (
                record.begbates,
                record.endbates,
                record.begattach,
                record.endattach,
                doc.custodian,
                doc.filename,
                doc.title,
                str(record.pages),
                record.native or "",
                record.text,
            )
        )
    lines = [SEPARATOR.join(f"{QUOTE}{_dat_value(v)}{QUOTE}" for v in row) for row in rows]
    # UTF-8 with a byte-order mark: how Relativity and Concordance tell UTF-8 from ANSI.
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig", newline="")


def _dat_value(value: str) -> str:
    """A field value that cannot break the record: no delimiters, newlines as ®."""
    cleaned = value.replace(QUOTE, "").replace(SEPARATOR, " ")
    return (
        cleaned.replace("\r\n", NEWLINE_IN_FIELD)
        .replace("\n", NEWLINE_IN_FIELD)
        .replace("\r", NEWLINE_IN_FIELD)
    )


def _as_pdf(doc: ProducedDocument, path: Path) -> Path:
    """The document as PDF pages: itself, its image frames, or a native-format placeholder."""
    if doc.content_type == ContentType.PDF:
        return doc.source
    if doc.content_type in IMAGE_TYPES:
        with Image.open(doc.source) as image:
            frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
        frames[0].save(path, "PDF", resolution=300, save_all=True, append_images=frames[1:])
        return path
    drawing = canvas.Canvas(str(path), pagesize=letter)
    width, height = letter
    drawing.setFont("Helvetica-Bold", 20)
    drawing.drawCentredString(width / 2, height / 2 + 20, "DOCUMENT PRODUCED IN NATIVE FORMAT")
    drawing.setFont("Helvetica", 12)
    drawing.drawCentredString(width / 2, height / 2 - 10, doc.filename[:90])
    drawing.showPage()
    drawing.save()
    return path


def _single_page(page: pikepdf.Page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pikepdf.new() as single:
        single.pages.append(page)
        buffer = io.BytesIO()
        single.save(buffer)
    path.write_bytes(buffer.getvalue())


def _folder(index: int) -> str:
    return f"{index // FILES_PER_FOLDER + 1:04d}"


def _windows(volume: str, relative: PurePosixPath) -> str:
    # Load-file paths are relative to the folder holding the volume, with Windows separators,
    # as review platforms read them.
    return "\\".join((volume, *relative.parts))
