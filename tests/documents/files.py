"""Files the document tests make for themselves: real PDFs, scans, DOCX, images, executables."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pikepdf
from docx import Document
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas


def text_pdf(path: Path, pages: Sequence[str], *, rotate: int = 0) -> Path:
    """A PDF with a real text layer: one string per page, drawn in Helvetica."""
    drawing = canvas.Canvas(str(path), pagesize=letter)
    for text in pages:
        lines = drawing.beginText(72, 700)
        lines.setFont("Helvetica", 12)
        for line in text.splitlines():
            lines.textLine(line)
        drawing.drawText(lines)
        drawing.showPage()
    drawing.save()
    if rotate:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            for page in pdf.pages:
                page.rotate(rotate, relative=False)
            pdf.save(path)
    return path


def page_image(text: str, *, dpi: int = 300) -> Image.Image:
    """A white letter-size page with `text` in a large sans-serif face, as a scanner sees it."""
    width, height = int(8.5 * dpi), int(11 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    # Pillow's own bundled FreeType face: the same glyphs on every machine.
    font = ImageFont.load_default(size=dpi // 6)
    y = dpi
    for line in text.splitlines():
        draw.text((dpi, y), line, fill=0, font=font)
        y += dpi // 4
    return image


def scanned_pdf(path: Path, pages: Sequence[str]) -> Path:
    """An image-only PDF: each page is a picture of text, with no text layer."""
    images = [page_image(text).convert("RGB") for text in pages]
    images[0].save(path, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return path


def encrypted_pdf(path: Path, source: Path, *, user_password: str = "secret") -> Path:
    with pikepdf.open(source) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner", user=user_password, R=6))
    return path


def javascript_pdf(path: Path, source: Path) -> Path:
    """`source` with a document open action that runs JavaScript."""
    with pikepdf.open(source) as pdf:
        action = pdf.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hi');"))
        )
        pdf.Root.OpenAction = action
        pdf.save(path)
    return path


def attachment_pdf(path: Path, source: Path) -> Path:
    """`source` with an embedded file (a PDF portfolio-style attachment)."""
    with pikepdf.open(source) as pdf:
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 not really")
        pdf.save(path)
    return path


def docx_file(path: Path, paragraphs: Sequence[str]) -> Path:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def zip_file(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def elf_file(path: Path) -> Path:
    """The first bytes of a 64-bit Linux executable."""
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200)
    return path


def png_file(path: Path, text: str = "hello") -> Path:
    page_image(text, dpi=100).save(path, "PNG")
    return path


def image_bytes(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()
