# TEMPORARY placeholder until the docproc branch lands (not committed).
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from documents.errors import DocumentError, EmptyFile, EncryptedPdf, NotAllowedType


@dataclass(frozen=True)
class Identified:
    content_type: str
    pages: int | None


def identify(path: Path, filename: str, declared: str) -> Identified:
    head = path.read_bytes()[:8]
    if not head:
        raise EmptyFile("the file is empty")
    if head.startswith(b"%PDF"):
        import pikepdf

        try:
            pikepdf.open(path).close()
        except pikepdf.PasswordError:
            raise EncryptedPdf("the PDF is encrypted") from None
        except pikepdf.PdfError:
            raise DocumentError("unreadable") from None
        with pikepdf.open(path) as pdf:
            return Identified("application/pdf", len(pdf.pages))
    if filename.endswith(".txt"):
        return Identified("text/plain", None)
    raise NotAllowedType("not allowed")
