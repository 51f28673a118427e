"""What a PDF is made of: the facts court checks, sniffing and text extraction decide on.

The structure is read with qpdf (pikepdf), which never runs the file's scripts and reads object
dictionaries without decoding their streams; the text layer is read with PDFium. A PDF that qpdf
could only open by repairing it (a truncated upload, a broken cross-reference table) is refused as
unreadable rather than silently repaired: the firm would otherwise file or produce a copy that is
not the one it reviewed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pikepdf
from pydantic import BaseModel, ConfigDict

from documents import pdfium
from documents.errors import EncryptedPdfError, UnreadableError

# Nesting deeper than this is not a real document's structure; stop walking rather than recurse.
_MAX_DEPTH = 64
# Keys that point back up the tree (annotation -> page -> annotations…): never walked.
_BACK_POINTERS = frozenset({"/Parent", "/P", "/Prev", "/Last", "/First"})


class PageFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    page: int
    """1-based page number."""
    has_text: bool
    """The page carries a text layer (searchable, selectable characters)."""
    has_images: bool
    blank: bool
    """The page paints nothing at all."""
    width_pt: float
    height_pt: float


class Script(BaseModel):
    """Where a PDF carries JavaScript."""

    model_config = ConfigDict(frozen=True)

    place: str
    page: int | None = None


class PdfFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    size: int
    """Bytes on disk."""
    pdf_version: str
    encrypted: bool
    """Encrypted at all, with or without a password needed to open it."""
    password_required: bool
    page_count: int
    """0 when a password is required (the page tree cannot be read without it)."""
    pages: list[PageFacts]
    embedded_files: list[str]
    """Names of files embedded in the PDF (attachments, file-attachment annotations)."""
    scripts: list[Script]
    actions: list[str]
    """Action types that run without a click on a link: /OpenAction and /AA entries."""
    pdfa: str | None
    """The PDF/A conformance the file claims in its XMP metadata (e.g. "1B"), if any."""

    @property
    def has_javascript(self) -> bool:
        return bool(self.scripts)

    @property
    def pages_without_text(self) -> list[int]:
        """Pages that paint an image but carry no text: scans nobody can search."""
        return [p.page for p in self.pages if not p.has_text and p.has_images]


@contextmanager
def open_structure(path: Path) -> Iterator[pikepdf.Pdf]:
    """Open `path` with qpdf without repairing it; typed refusals for passwords and damage."""
    try:
        pdf = pikepdf.open(path, attempt_recovery=False)
    except pikepdf.PasswordError as error:
        raise EncryptedPdfError("the PDF is password-protected") from error
    except (pikepdf.PdfError, OSError, ValueError) as error:
        raise UnreadableError(
            f"the PDF is damaged or truncated ({_reason(error, path)})"
        ) from error
    try:
        if len(pdf.pages) == 0:
            raise UnreadableError("the PDF has no pages")
        yield pdf
    except pikepdf.PdfError as error:
        raise UnreadableError(f"the PDF is damaged ({_reason(error, path)})") from error
    finally:
        pdf.close()


def read_facts(path: Path) -> PdfFacts:
    """Everything `court_checks` and `sniff` need to know about the PDF at `path`."""
    size = path.stat().st_size
    try:
        with open_structure(path) as pdf:
            return _facts(path, pdf, size)
    except EncryptedPdfError:
        return PdfFacts(
            size=size,
            pdf_version=_header_version(path),
            encrypted=True,
            password_required=True,
            page_count=0,
            pages=[],
            embedded_files=[],
            scripts=[],
            actions=[],
            pdfa=None,
        )


def _facts(path: Path, pdf: pikepdf.Pdf, size: int) -> PdfFacts:
    scripts: list[Script] = []
    actions: set[str] = set()
    root = pdf.Root
    for key, place in (("/OpenAction", "document open action"), ("/AA", "document actions")):
        if key in root:
            actions.update(_action_types(root[key], key == "/AA"))
            if _has_javascript(root[key]):
                scripts.append(Script(place=place))
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        scripts.append(Script(place="document-level scripts"))
    acroform = root.get("/AcroForm")
    if isinstance(acroform, pikepdf.Dictionary) and _has_javascript(acroform.get("/Fields")):
        scripts.append(Script(place="form field actions"))
    for number, page in enumerate(pdf.pages, start=1):
        if "/AA" in page.obj:
            actions.update(_action_types(page.obj["/AA"], True))
            if _has_javascript(page.obj["/AA"]):
                scripts.append(Script(place="page open/close action", page=number))
        annotations = page.obj.get("/Annots")
        if isinstance(annotations, pikepdf.Array) and any(_has_javascript(a) for a in annotations):
            scripts.append(Script(place="annotation", page=number))
    if not scripts and any(_has_javascript(obj) for obj in pdf.objects):
        scripts.append(Script(place="an object outside the page tree"))

    with pdfium.open_pdf(path) as rendered:
        pages = [_page_facts(rendered, number, page) for number, page in enumerate(pdf.pages, 1)]
    return PdfFacts(
        size=size,
        pdf_version=str(pdf.pdf_version),
        encrypted=bool(pdf.is_encrypted),
        password_required=False,
        page_count=len(pdf.pages),
        pages=pages,
        embedded_files=_embedded_files(pdf),
        scripts=scripts,
        actions=sorted(actions),
        pdfa=_pdfa(pdf),
    )


def _page_facts(rendered: pdfium.PdfiumDocument, number: int, page: pikepdf.Page) -> PageFacts:
    box = page.mediabox
    width, height = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
    with rendered.page(number - 1) as view:
        return PageFacts(
            page=number,
            has_text=bool(view.text().strip()),
            has_images=view.has_images(),
            blank=not view.has_content(),
            width_pt=abs(width),
            height_pt=abs(height),
        )


def _has_javascript(obj: object) -> bool:
    """A /JavaScript action or a /JS entry anywhere below `obj`, through action chains."""
    seen: set[tuple[int, int]] = set()

    def walk(node: object, depth: int) -> bool:
        if depth > _MAX_DEPTH or not isinstance(node, pikepdf.Object):
            return False
        if node.is_indirect:
            if node.objgen in seen:
                return False
            seen.add(node.objgen)
        if isinstance(node, pikepdf.Dictionary | pikepdf.Stream):
            if "/JS" in node or node.get("/S") == pikepdf.Name.JavaScript:
                return True
            return any(
                walk(value, depth + 1) for key, value in node.items() if key not in _BACK_POINTERS
            )
        if isinstance(node, pikepdf.Array):
            return any(walk(item, depth + 1) for item in node)
        return False

    return walk(obj, 0)


def _action_types(obj: pikepdf.Object, is_trigger_dictionary: bool) -> set[str]:
    """Action types (/S) of an /OpenAction, or of every trigger in an /AA dictionary."""
    entries = (
        list(obj.values())
        if is_trigger_dictionary and isinstance(obj, pikepdf.Dictionary)
        else [obj]
    )
    found: set[str] = set()
    for entry in entries:
        if isinstance(entry, pikepdf.Dictionary) and "/S" in entry:
            found.add(str(entry["/S"]).lstrip("/"))
    return found


def _embedded_files(pdf: pikepdf.Pdf) -> list[str]:
    """Names of file specifications that carry the file itself (/EF), wherever they sit."""
    names: list[str] = []
    for obj in pdf.objects:
        for spec in _file_specs(obj, 0):
            name = spec.get("/UF", spec.get("/F", "unnamed"))
            names.append(str(name))
    return sorted(names)


def _file_specs(node: object, depth: int) -> Iterator[pikepdf.Dictionary]:
    # Indirect objects are each visited once by the caller's loop over pdf.objects, so only
    # direct children are followed here.
    if depth > _MAX_DEPTH or not isinstance(node, pikepdf.Object):
        return
    if depth > 0 and node.is_indirect:
        return
    if isinstance(node, pikepdf.Dictionary) and "/EF" in node:
        yield node
        return
    if isinstance(node, pikepdf.Dictionary | pikepdf.Stream):
        for key, value in node.items():
            if key not in _BACK_POINTERS:
                yield from _file_specs(value, depth + 1)
    elif isinstance(node, pikepdf.Array):
        for item in node:
            yield from _file_specs(item, depth + 1)


def _pdfa(pdf: pikepdf.Pdf) -> str | None:
    try:
        status = pdf.open_metadata().pdfa_status
    except (pikepdf.PdfError, ValueError, KeyError):
        return None
    return status or None


def _header_version(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(1024)
    start = head.find(b"%PDF-")
    return head[start + 5 : start + 8].decode("ascii", "replace") if start >= 0 else ""


def _reason(error: Exception, path: Path) -> str:
    """qpdf's first line without the private path it starts with (it reaches the uploader)."""
    lines = str(error).replace(f"{path}: ", "").replace(str(path), "the file").strip().splitlines()
    return lines[0] if lines else type(error).__name__
