"""Text per page: the text layer where there is one, Tesseract OCR where there is not."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf

from documents.content_types import ContentType
from documents.text import extract_text
from tests.documents import files

EML = (
    b"From: Jane Roe <jane@example.com>\r\nTo: intake@example.com\r\n"
    b"Date: Tue, 1 Dec 2026 10:00:00 -0500\r\nSubject: Records request\r\n\r\n"
    b"The records are attached.\r\n"
)


def test_text_layer_pages_are_read_without_ocr(tmp_path: Path) -> None:
    motion = files.text_pdf(tmp_path / "motion.pdf", ["MOTION TO COMPEL", "Second page"])
    pages = extract_text(motion, ContentType.PDF)
    assert [(p.page, p.text.strip(), p.ocr) for p in pages] == [
        (1, "MOTION TO COMPEL", False),
        (2, "Second page", False),
    ]


def test_ocr_reads_the_words_back_from_a_scanned_page(tmp_path: Path) -> None:
    text = files.text_pdf(tmp_path / "text.pdf", ["typed cover page"])
    scan = files.scanned_pdf(tmp_path / "scan.pdf", ["Plaintiff Jane Roe\nSSN 123-45-6789"])
    mixed = tmp_path / "mixed.pdf"
    with pikepdf.new() as pdf, pikepdf.open(text) as a, pikepdf.open(scan) as b:
        pdf.pages.extend([a.pages[0], b.pages[0]])
        pdf.save(mixed)
    cover, scanned = extract_text(mixed, ContentType.PDF)
    assert (cover.ocr, scanned.ocr) == (False, True)
    assert "Plaintiff Jane Roe" in scanned.text
    assert "123-45-6789" in scanned.text


def test_ocr_can_be_turned_off(tmp_path: Path) -> None:
    scan = files.scanned_pdf(tmp_path / "scan.pdf", ["words"])
    [page] = extract_text(scan, ContentType.PDF, ocr=False)
    assert (page.text.strip(), page.ocr) == ("", False)


def test_images_are_ocrd_frame_by_frame(tmp_path: Path) -> None:
    tiff = tmp_path / "records.tiff"
    first, second = files.page_image("Mercy Hospital"), files.page_image("Discharge summary")
    first.save(tiff, "TIFF", save_all=True, append_images=[second], dpi=(300, 300))
    pages = extract_text(tiff, ContentType.TIFF)
    assert [(p.page, p.ocr) for p in pages] == [(1, True), (2, True)]
    assert "Mercy Hospital" in pages[0].text
    assert "Discharge summary" in pages[1].text


def test_docx_eml_csv_and_txt_are_one_page_of_text(tmp_path: Path) -> None:
    draft = files.docx_file(tmp_path / "draft.docx", ["MOTION TO COMPEL", "Jane Roe moves."])
    (tmp_path / "m.eml").write_bytes(EML)
    (tmp_path / "b.csv").write_text("provider,amount\nMercy,120.00\n")
    (tmp_path / "n.txt").write_text("café notes\n")
    [docx_page] = extract_text(draft, ContentType.DOCX)
    assert docx_page.text == "MOTION TO COMPEL\nJane Roe moves."
    [eml_page] = extract_text(tmp_path / "m.eml", ContentType.EML)
    assert "Subject: Records request" in eml_page.text
    assert "The records are attached." in eml_page.text
    assert extract_text(tmp_path / "b.csv", ContentType.CSV)[0].text.startswith("provider,amount")
    assert extract_text(tmp_path / "n.txt", ContentType.TXT)[0].text == "café notes\n"


def test_two_threads_extract_at_once(tmp_path: Path) -> None:
    # A worker runs activities in threads, and PDFium is not thread-safe (documents/pdfium.py
    # serialises every call into it).
    texts = [
        files.text_pdf(tmp_path / f"t{n}.pdf", [f"document {n} page {p}" for p in range(30)])
        for n in range(4)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda path: extract_text(path, ContentType.PDF), texts))
    for n, pages in enumerate(results):
        assert [p.text.strip() for p in pages] == [f"document {n} page {p}" for p in range(30)]
