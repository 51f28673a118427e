"""A PDF checked as CM/ECF and EFSPs reject filings: each reason is found and explained."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from documents.court_checks import ProblemCode, check_filing
from documents.pdf_facts import read_facts
from tests.documents import files


def _codes(path: Path, **limits: int) -> list[ProblemCode]:
    return [problem.code for problem in check_filing(path, **limits)]


def test_a_clean_text_pdf_passes(tmp_path: Path) -> None:
    motion = files.text_pdf(tmp_path / "motion.pdf", ["MOTION TO COMPEL", "ARGUMENT"])
    assert check_filing(motion) == []


def test_the_facts_of_a_pdf(tmp_path: Path) -> None:
    motion = files.text_pdf(tmp_path / "motion.pdf", ["one", "two"])
    facts = read_facts(motion)
    assert (facts.page_count, facts.encrypted, facts.pdf_version) == (2, False, "1.3")
    assert [(p.page, p.has_text, p.has_images) for p in facts.pages] == [
        (1, True, False),
        (2, True, False),
    ]
    assert facts.size == motion.stat().st_size
    assert (facts.embedded_files, facts.scripts, facts.actions) == ([], [], [])


def test_a_file_that_is_not_a_pdf(tmp_path: Path) -> None:
    assert _codes(files.elf_file(tmp_path / "motion.pdf")) == [ProblemCode.NOT_A_PDF]


def test_a_password_protected_pdf(tmp_path: Path) -> None:
    plain = files.text_pdf(tmp_path / "plain.pdf", ["x"])
    locked = files.encrypted_pdf(tmp_path / "locked.pdf", plain)
    [problem] = check_filing(locked)
    assert problem.code == ProblemCode.ENCRYPTED
    assert "password-protected" in problem.message


def test_a_file_over_the_courts_size_limit(tmp_path: Path) -> None:
    motion = files.text_pdf(tmp_path / "motion.pdf", ["x"])
    limit = motion.stat().st_size - 1
    [problem] = check_filing(motion, max_bytes=limit)
    assert problem.code == ProblemCode.TOO_LARGE
    assert check_filing(motion, max_bytes=limit + 1) == []


def test_scanned_pages_are_named(tmp_path: Path) -> None:
    text = files.text_pdf(tmp_path / "text.pdf", ["page one has text"])
    scan = files.scanned_pdf(tmp_path / "scan.pdf", ["scanned exhibit", "second scan"])
    mixed = tmp_path / "mixed.pdf"

    with pikepdf.new() as pdf, pikepdf.open(text) as a, pikepdf.open(scan) as b:
        pdf.pages.extend([a.pages[0], b.pages[0], a.pages[0], b.pages[1]])
        pdf.save(mixed)
    [problem] = check_filing(mixed)
    assert problem.code == ProblemCode.NOT_TEXT_SEARCHABLE
    assert problem.pages == [2, 4]
    assert "pages 2, 4" in problem.message


def test_embedded_files_and_javascript(tmp_path: Path) -> None:
    plain = files.text_pdf(tmp_path / "plain.pdf", ["x"])
    attached = files.attachment_pdf(tmp_path / "attached.pdf", plain)
    scripted = files.javascript_pdf(tmp_path / "scripted.pdf", plain)
    [attachment] = check_filing(attached)
    assert attachment.code == ProblemCode.EMBEDDED_FILES
    assert "payload.exe" in attachment.message
    [script] = check_filing(scripted)
    assert script.code == ProblemCode.JAVASCRIPT
    assert "open action" in script.message
    assert read_facts(scripted).actions == ["JavaScript"]


def test_a_truncated_pdf_is_unreadable(tmp_path: Path) -> None:
    whole = files.text_pdf(tmp_path / "whole.pdf", ["x"]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(whole[:-100])
    assert _codes(tmp_path / "cut.pdf") == [ProblemCode.UNREADABLE]


def test_javascript_in_a_link_on_page_two_is_named_with_its_page(tmp_path: Path) -> None:
    plain = files.text_pdf(tmp_path / "plain.pdf", ["one", "two"])
    linked = tmp_path / "linked.pdf"
    with pikepdf.open(plain) as pdf:
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[72, 72, 200, 90],
            A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.print();")),
        )
        pdf.pages[1].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
        pdf.save(linked)
    [problem] = check_filing(linked)
    assert problem.code == ProblemCode.JAVASCRIPT
    assert problem.pages == [2]
    assert "annotation on page 2" in problem.message
