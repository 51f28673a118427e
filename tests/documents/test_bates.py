"""Bates numbers: on every page, consecutive across the files of a set, upright and bottom right."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pypdfium2
import pytest

from documents.bates import stamp_set
from documents.errors import EncryptedPdfError
from tests.documents import files


def _page_texts(path: Path) -> list[str]:
    # An independent parser (pypdf), not the PDFium the product reads text with.
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def test_numbers_appear_on_every_page_consecutive_across_files(tmp_path: Path) -> None:
    first = files.text_pdf(tmp_path / "a.pdf", ["letter page 1", "letter page 2"])
    second = files.scanned_pdf(tmp_path / "b.pdf", ["scanned record"])
    third = files.text_pdf(tmp_path / "c.pdf", ["one", "two", "three"])
    jobs = [(p, tmp_path / f"stamped-{p.name}") for p in (first, second, third)]

    ranges = stamp_set(jobs, prefix="HM", start=98, width=6)

    assert [(r.first, r.last, r.pages) for r in ranges] == [
        ("HM000098", "HM000099", 2),
        ("HM000100", "HM000100", 1),
        ("HM000101", "HM000103", 3),
    ]
    stamped = [text for _, output in jobs for text in _page_texts(output)]
    assert [f"HM{n:06d}" in text for n, text in zip(range(98, 104), stamped, strict=True)] == [
        True
    ] * 6
    # The page's own content is still there under the stamp.
    assert "letter page 2" in stamped[1]
    assert "three" in stamped[5]


def _shown_boxes(path: Path, label: str) -> tuple[float, list[tuple[float, float]]]:
    """The shown page's width, and the centre of each character of `label` in the
    coordinates a reader sees (PDFium reports unrotated page space; /Rotate turns it clockwise)."""
    document = pypdfium2.PdfDocument(str(path))
    page = document[0]
    width, height = page.get_width(), page.get_height()  # already as shown
    rotation = page.get_rotation()
    textpage = page.get_textpage()
    start = textpage.get_text_range().index(label)
    w, h = (height, width) if rotation in (90, 270) else (width, height)  # unrotated size
    centres = []
    for index in range(start, start + len(label)):
        left, bottom, right, top = textpage.get_charbox(index)
        x, y = (left + right) / 2, (bottom + top) / 2
        centres.append({0: (x, y), 90: (y, w - x), 180: (w - x, h - y), 270: (h - y, x)}[rotation])
    document.close()
    return width, centres


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_the_label_reads_upright_at_the_bottom_right_of_the_page_as_shown(
    tmp_path: Path, rotate: int
) -> None:
    source = files.text_pdf(tmp_path / "page.pdf", ["Declaration of Jane Roe"], rotate=rotate)
    stamp_set([(source, tmp_path / "stamped.pdf")], prefix="HM", start=rotate + 1, width=6)

    width, centres = _shown_boxes(tmp_path / "stamped.pdf", f"HM{rotate + 1:06d}")
    xs, ys = [x for x, _ in centres], [y for _, y in centres]
    assert xs == sorted(xs), "the characters run left to right as shown"
    assert max(ys) - min(ys) < 2, "on one horizontal line as shown"
    assert min(xs) > width / 2 and max(xs) < width - 18, "in the right half, inside the edge"
    assert 0 < min(ys) < 36, "in the bottom margin"


def test_an_encrypted_pdf_cannot_be_stamped(tmp_path: Path) -> None:
    plain = files.text_pdf(tmp_path / "p.pdf", ["x"])
    locked = files.encrypted_pdf(tmp_path / "l.pdf", plain, user_password="")
    with pytest.raises(EncryptedPdfError):
        stamp_set([(locked, tmp_path / "out.pdf")], prefix="ABC")


def test_a_number_too_wide_for_the_padding_is_refused(tmp_path: Path) -> None:
    plain = files.text_pdf(tmp_path / "p.pdf", ["x", "y"])
    with pytest.raises(ValueError, match="digits"):
        stamp_set([(plain, tmp_path / "out.pdf")], prefix="ABC", start=99, width=2)
