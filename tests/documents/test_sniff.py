"""What an upload really is: every allowed type is recognised, every bad-file class is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.content_types import ContentType
from documents.errors import (
    EmptyFileError,
    EncryptedPdfError,
    MismatchError,
    NotAllowedTypeError,
    UnreadableError,
)
from documents.sniff import identify
from tests.documents import files

EML = (
    b"From: Jane Roe <jane@example.com>\r\nTo: intake@example.com\r\n"
    b"Date: Tue, 1 Dec 2026 10:00:00 -0500\r\nSubject: Records\r\n\r\nPlease find attached.\r\n"
)


def test_allowed_types_are_recognised_from_their_bytes(tmp_path: Path) -> None:
    pdf = files.text_pdf(tmp_path / "motion.pdf", ["one", "two", "three"])
    docx = files.docx_file(tmp_path / "draft.docx", ["Motion to compel"])
    png = files.png_file(tmp_path / "photo.png")
    page = files.page_image("scan", dpi=50)
    (tmp_path / "scan.jpg").write_bytes(files.image_bytes(page.convert("RGB"), "JPEG"))
    tiff = tmp_path / "scan.tiff"
    page.save(tiff, "TIFF", save_all=True, append_images=[page, page])
    (tmp_path / "notes.txt").write_text("Call the clerk on Monday — ✓\n", encoding="utf-8")
    (tmp_path / "message.eml").write_bytes(EML)
    (tmp_path / "bills.csv").write_text('provider,amount\n"Mercy, Inc.",120.00\n')

    assert identify(pdf, "motion.pdf", "application/pdf").model_dump() == {
        "content_type": ContentType.PDF,
        "pages": 3,
    }
    assert identify(docx, "draft.docx").content_type == ContentType.DOCX
    assert identify(png, "photo.png", "image/png").pages == 1
    assert identify(tmp_path / "scan.jpg", "scan.jpg", "image/jpeg").content_type == "image/jpeg"
    assert identify(tiff, "scan.tiff").model_dump() == {"content_type": "image/tiff", "pages": 3}
    assert identify(tmp_path / "notes.txt", "notes.txt", "text/plain").content_type == "text/plain"
    assert identify(tmp_path / "message.eml", "message.eml").content_type == "message/rfc822"
    assert identify(
        tmp_path / "bills.csv", "bills.csv", "application/vnd.ms-excel"
    ).content_type == ("text/csv")
    # Without a telling name the bytes decide: an RFC 5322 message is an e-mail.
    assert identify(tmp_path / "message.eml", "upload", None).content_type == "message/rfc822"


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(EmptyFileError) as refused:
        identify(tmp_path / "empty.pdf", "empty.pdf", "application/pdf")
    assert refused.value.status == 422


def test_an_executable_named_pdf_is_a_mismatch(tmp_path: Path) -> None:
    elf = files.elf_file(tmp_path / "motion.pdf")
    with pytest.raises(MismatchError) as refused:
        identify(elf, "motion.pdf", "application/pdf")
    assert refused.value.status == 415
    assert "ELF" in refused.value.detail


def test_a_png_named_docx_is_a_mismatch(tmp_path: Path) -> None:
    png = files.png_file(tmp_path / "draft.docx")
    with pytest.raises(MismatchError, match="PNG"):
        identify(png, "draft.docx")


def test_a_plain_text_file_named_eml_is_a_mismatch(tmp_path: Path) -> None:
    (tmp_path / "x.eml").write_text("just some words\n")
    with pytest.raises(MismatchError):
        identify(tmp_path / "x.eml", "x.eml")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tool", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100),
        ("setup.bin", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100),
        ("page", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("legacy.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200),
        ("latin1", "caf\u00e9 cr\u00e8me".encode("latin-1")),
    ],
)
def test_types_outside_the_allow_list_are_refused(
    tmp_path: Path, name: str, content: bytes
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(NotAllowedTypeError) as refused:
        identify(tmp_path / name, name)
    assert refused.value.status == 415


def test_a_zip_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    archive = files.zip_file(tmp_path / "bundle.zip", {"a.txt": b"hello"})
    with pytest.raises(NotAllowedTypeError, match="ZIP"):
        identify(archive, "bundle.zip")
    with pytest.raises(MismatchError):
        identify(archive, "bundle.docx")


def test_html_and_executable_names_are_refused_whatever_the_bytes(tmp_path: Path) -> None:
    (tmp_path / "notes.html").write_text("plain words")
    with pytest.raises(NotAllowedTypeError):
        identify(tmp_path / "notes.html", "notes.html")
    with pytest.raises(NotAllowedTypeError):
        identify(tmp_path / "notes.html", "notes.txt", "text/html")


def test_a_docx_with_macros_is_refused(tmp_path: Path) -> None:
    macro = files.zip_file(
        tmp_path / "draft.docx",
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w/>",
            "word/vbaProject.bin": b"x",
        },
    )
    with pytest.raises(NotAllowedTypeError, match="macros"):
        identify(macro, "draft.docx")


def test_a_docx_zip_bomb_is_refused_without_extracting_it(tmp_path: Path) -> None:
    bomb = files.zip_file(
        tmp_path / "draft.docx",
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w>" + b"A" * 50_000_000},
    )
    assert bomb.stat().st_size < 200_000
    with pytest.raises(UnreadableError, match="zip bomb"):
        identify(bomb, "draft.docx")


@pytest.mark.parametrize("user_password", ["secret", ""])
def test_encrypted_pdfs_are_refused(tmp_path: Path, user_password: str) -> None:
    plain = files.text_pdf(tmp_path / "plain.pdf", ["confidential"])
    locked = files.encrypted_pdf(tmp_path / "locked.pdf", plain, user_password=user_password)
    with pytest.raises(EncryptedPdfError) as refused:
        identify(locked, "locked.pdf", "application/pdf")
    assert refused.value.status == 422


def test_a_truncated_pdf_is_unreadable_and_the_message_names_no_path(tmp_path: Path) -> None:
    whole = files.text_pdf(tmp_path / "whole.pdf", ["one", "two"]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableError) as refused:
        identify(tmp_path / "cut.pdf", "cut.pdf", "application/pdf")
    assert refused.value.status == 422
    assert str(tmp_path) not in refused.value.detail


def test_a_truncated_png_is_unreadable(tmp_path: Path) -> None:
    whole = files.png_file(tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableError):
        identify(tmp_path / "cut.png", "cut.png")
