"""A production volume: stamped page images, natives, text, and DAT/OPT files that parse back."""

from __future__ import annotations

from pathlib import Path

import pypdf

from documents.content_types import ContentType
from documents.production import ProducedDocument, build_volume
from tests.documents import files

EML = (
    b"From: Jane Roe <jane@example.com>\r\nTo: adjuster@example.com\r\n"
    b"Date: Tue, 1 Dec 2026 10:00:00 -0500\r\nSubject: Bills\r\n\r\nSee the attached bills.\r\n"
)


def _parse_dat(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[-1] == ""
    rows = []
    for line in lines[:-1]:
        fields = line.split("\u0014")
        assert all(f.startswith("\u00fe") and f.endswith("\u00fe") for f in fields)
        rows.append([f[1:-1] for f in fields])
    header, *records = rows
    return [dict(zip(header, record, strict=True)) for record in records]


def test_a_volume_of_a_pdf_an_email_family_and_an_image(tmp_path: Path) -> None:
    contract = files.text_pdf(tmp_path / "contract.pdf", ["contract p1", "contract p2"])
    (tmp_path / "mail.eml").write_bytes(EML)
    (tmp_path / "bills.csv").write_text("provider,amount\nMercy,120.00\n")
    photo = files.png_file(tmp_path / "photo.png", "photo of the scene")
    documents = [
        ProducedDocument(
            source=contract,
            content_type=ContentType.PDF,
            filename="contract.pdf",
            title="Services agreement",
            custodian="Roe, Jane",
        ),
        ProducedDocument(
            source=tmp_path / "mail.eml",
            content_type=ContentType.EML,
            filename="mail.eml",
            title="Bills\nfor March",
            custodian="Roe, Jane",
            family="F1",
        ),
        ProducedDocument(
            source=tmp_path / "bills.csv",
            content_type=ContentType.CSV,
            filename="bills.csv",
            title="Bills",
            custodian="Roe, Jane",
            family="F1",
        ),
        ProducedDocument(
            source=photo,
            content_type=ContentType.PNG,
            filename="photo.png",
            title="Scene",
            custodian="Smith, Al",
        ),
    ]

    volume = build_volume(documents, tmp_path / "out", prefix="HM", start=1, width=6, ocr=False)

    root = tmp_path / "out" / "VOL001"
    assert {p.name for p in root.iterdir()} == {"IMAGES", "NATIVES", "TEXT", "DATA"}
    records = _parse_dat(volume.dat)
    assert [(r["BEGBATES"], r["ENDBATES"], r["PAGES"]) for r in records] == [
        ("HM000001", "HM000002", "2"),
        ("HM000003", "HM000003", "1"),
        ("HM000004", "HM000004", "1"),
        ("HM000005", "HM000005", "1"),
    ]
    assert [(r["BEGATTACH"], r["ENDATTACH"]) for r in records] == [
        ("HM000001", "HM000002"),
        ("HM000003", "HM000004"),
        ("HM000003", "HM000004"),
        ("HM000005", "HM000005"),
    ]
    assert records[1]["TITLE"] == "Bills\u00aefor March"
    assert records[0]["CUSTODIAN"] == "Roe, Jane" and records[0]["NATIVELINK"] == ""
    assert records[2]["NATIVELINK"] == "VOL001\\NATIVES\\0001\\HM000004.csv"
    assert (root / "NATIVES/0001/HM000004.csv").read_bytes() == (
        tmp_path / "bills.csv"
    ).read_bytes()
    assert "contract p2" in (root / "TEXT/0001/HM000001.txt").read_text()
    assert "See the attached bills." in (root / "TEXT/0001/HM000003.txt").read_text()

    opt = volume.opt.read_bytes().decode("ascii").split("\r\n")
    assert opt[-1] == ""
    lines = [line.split(",") for line in opt[:-1]]
    assert len(lines) == 5  # one line per produced page
    assert lines[0] == [
        "HM000001",
        "VOL001",
        "VOL001\\IMAGES\\0001\\HM000001.pdf",
        "Y",
        "",
        "",
        "2",
    ]
    assert lines[1] == ["HM000002", "VOL001", "VOL001\\IMAGES\\0001\\HM000002.pdf", "", "", "", ""]
    assert [line[3] for line in lines] == ["Y", "", "Y", "Y", "Y"]
    for bates, _, path, *_ in lines:
        image = tmp_path / "out" / path.replace("\\", "/")
        [page] = pypdf.PdfReader(image).pages
        assert bates in page.extract_text()
    placeholder = pypdf.PdfReader(root / "IMAGES/0001/HM000004.pdf").pages[0].extract_text()
    assert "PRODUCED IN NATIVE FORMAT" in placeholder
