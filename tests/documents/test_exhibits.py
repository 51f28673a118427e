"""An exhibit bundle: index page, a slip sheet before each exhibit, all pages in order."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from documents.exhibits import Exhibit, compile_bundle, letter_label
from tests.documents import files


def test_the_bundle_has_an_index_slip_sheets_and_every_page_in_order(tmp_path: Path) -> None:
    contract = files.text_pdf(tmp_path / "contract.pdf", ["contract p1", "contract p2"])
    letter = files.text_pdf(tmp_path / "letter.pdf", ["demand letter"])
    photos = files.scanned_pdf(tmp_path / "photos.pdf", ["photo one"])
    bundle = tmp_path / "bundle.pdf"

    index = compile_bundle(
        [
            Exhibit(source=contract, title="Services agreement"),
            Exhibit(source=letter, title="Demand letter of 3 March"),
            Exhibit(source=photos, title="Photographs"),
        ],
        bundle,
    )

    assert [(e.label, e.slip_sheet_page, e.first_page, e.last_page) for e in index] == [
        ("A", 2, 3, 4),
        ("B", 5, 6, 6),
        ("C", 7, 8, 8),
    ]
    reader = pypdf.PdfReader(bundle)
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 8
    assert "INDEX OF EXHIBITS" in texts[0]
    assert "Services agreement" in texts[0] and "2-4" in texts[0]
    assert "EXHIBIT A" in texts[1] and "Services agreement" in texts[1]
    assert ["contract p1" in texts[2], "contract p2" in texts[3]] == [True, True]
    assert "EXHIBIT B" in texts[4] and "demand letter" in texts[5]
    assert "EXHIBIT C" in texts[6] and texts[7].strip() == ""  # the scan, untouched
    items = [item for item in reader.outline if isinstance(item, pypdf.generic.Destination)]
    bookmarks = [(item.title, reader.get_destination_page_number(item)) for item in items]
    assert bookmarks[1:] == [
        ("Exhibit A — Services agreement", 1),
        ("Exhibit B — Demand letter of 3 March", 4),
        ("Exhibit C — Photographs", 6),
    ]


def test_labels_run_past_z_and_can_be_given(tmp_path: Path) -> None:
    assert [letter_label(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]
    one = files.text_pdf(tmp_path / "one.pdf", ["x"])
    index = compile_bundle(
        [
            Exhibit(source=one, title="First", label="1"),
            Exhibit(source=one, title="Second", label="2"),
        ],
        tmp_path / "b.pdf",
    )
    assert [e.label for e in index] == ["1", "2"]
    with pytest.raises(ValueError, match="unique"):
        compile_bundle([Exhibit(source=one, title="a", label="1")] * 2, tmp_path / "c.pdf")
