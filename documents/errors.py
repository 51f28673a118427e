"""Why a file was refused, as typed errors the API maps to one status each.

Each carries the HTTP status it stands for, so the API maps every refusal with one handler and a
refusal reads the same whichever module raised it. `code` is stable for clients; `detail` is plain
English for the person who uploaded the file.
"""

from __future__ import annotations


class DocumentError(Exception):
    """A file that cannot be accepted or processed as it is."""

    status: int = 422
    code: str = "document_rejected"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class EmptyFileError(DocumentError):
    code = "empty_file"


class NotAllowedTypeError(DocumentError):
    """The bytes are of a type outside the allow-list (an executable, HTML, a plain ZIP…)."""

    status = 415
    code = "type_not_allowed"


class MismatchError(DocumentError):
    """The bytes are not what the file name or declared content type claims."""

    status = 415
    code = "content_mismatch"


class EncryptedPdfError(DocumentError):
    """A password-protected or encrypted PDF: courts refuse them and nothing here can read them."""

    code = "encrypted_pdf"


class UnreadableError(DocumentError):
    """The bytes claim a type but are truncated or corrupt."""

    code = "unreadable"
