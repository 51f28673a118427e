"""Bates numbers: on every page, consecutive across the files of a set, upright and bottom right."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from documents.bates import stamp_set
from documents.errors import EncryptedPdfError
from tests.documents import files


def _page_texts(path: Path) -> list[str]:
    # An independent parser (pypdf), not the PDFium the product reads text with.
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def _where(page: pypdf.PageObject, label: str) -> list[tuple[float, float]]:
    """Unrotated page coordinates where `label` is drawn (text matrix times the CTM)."""
    spots: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if label in text:
            x = cm[4] + tm[4] * cm[0] + tm[5] * cm[2]
            y = cm[5] + tm[4] * cm[1] + tm[5] * cm[3]
            spots.append((x, y))

    page.extract_text(visitor_text=visit)
    return spots


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


def test_the_label_sits_bottom_right_on_an_upright_and_a_rotated_page(tmp_path: Path) -> None:
    upright = files.text_pdf(tmp_path / "up.pdf", ["x"])
    turned = files.text_pdf(tmp_path / "turned.pdf", ["x"], rotate=90)
    jobs = [(upright, tmp_path / "up-s.pdf"), (turned, tmp_path / "turned-s.pdf")]
    stamp_set(jobs, prefix="ABC", width=4)

    for (_, output), label in zip(jobs, ["ABC0001", "ABC0002"], strict=True):
        page = pypdf.PdfReader(output).pages[0]
        [(x, y)] = _where(page, label)
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if page.rotation == 90:
            # Shown rotated clockwise: the reader's bottom right is the unrotated top right.
            assert x > width * 0.9 and y > height * 0.6
        else:
            assert x > width * 0.6 and y < 72


def test_an_encrypted_pdf_cannot_be_stamped(tmp_path: Path) -> None:
    plain = files.text_pdf(tmp_path / "p.pdf", ["x"])
    locked = files.encrypted_pdf(tmp_path / "l.pdf", plain, user_password="")
    with pytest.raises(EncryptedPdfError):
        stamp_set([(locked, tmp_path / "out.pdf")], prefix="ABC")


def test_a_number_too_wide_for_the_padding_is_refused(tmp_path: Path) -> None:
    plain = files.text_pdf(tmp_path / "p.pdf", ["x", "y"])
    with pytest.raises(ValueError, match="digits"):
        stamp_set([(plain, tmp_path / "out.pdf")], prefix="ABC", start=99, width=2)
