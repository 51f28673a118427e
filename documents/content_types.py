"""The allow-list: the content types Docketflow accepts, and the names clients give them."""

from __future__ import annotations

from enum import StrEnum


class ContentType(StrEnum):
    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"
    TXT = "text/plain"
    EML = "message/rfc822"
    CSV = "text/csv"


TEXT_TYPES = frozenset({ContentType.TXT, ContentType.EML, ContentType.CSV})
IMAGE_TYPES = frozenset({ContentType.PNG, ContentType.JPEG, ContentType.TIFF})

BY_EXTENSION: dict[str, ContentType] = {
    ".pdf": ContentType.PDF,
    ".docx": ContentType.DOCX,
    ".png": ContentType.PNG,
    ".jpg": ContentType.JPEG,
    ".jpeg": ContentType.JPEG,
    ".tif": ContentType.TIFF,
    ".tiff": ContentType.TIFF,
    ".txt": ContentType.TXT,
    ".eml": ContentType.EML,
    ".csv": ContentType.CSV,
}

# What browsers and mail clients actually send for the allowed types (Windows sends the Excel
# type for every .csv).
BY_DECLARED_TYPE: dict[str, ContentType] = {
    **{t.value: t for t in ContentType},
    "application/x-pdf": ContentType.PDF,
    "image/jpg": ContentType.JPEG,
    "image/pjpeg": ContentType.JPEG,
    "image/tif": ContentType.TIFF,
    "application/csv": ContentType.CSV,
    "text/x-csv": ContentType.CSV,
    "application/vnd.ms-excel": ContentType.CSV,
}

# Declared types that say nothing about the content: the bytes decide alone.
GENERIC_DECLARED_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# Names that browsers or desktops execute or render as active content, whatever the bytes are.
BLOCKED_EXTENSIONS = frozenset(
    {
        ".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".js", ".mjs", ".hta",
        ".exe", ".dll", ".com", ".scr", ".msi", ".bat", ".cmd", ".ps1", ".vbs", ".wsf", ".jar",
        ".sh", ".docm", ".dotm", ".lnk", ".url",
    }
)  # fmt: skip
BLOCKED_DECLARED_TYPES = frozenset(
    {
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
        "application/javascript", "text/javascript", "application/x-msdownload",
        "application/x-executable", "application/x-sh", "application/x-msdos-program",
        "application/vnd.ms-word.document.macroenabled.12",
    }
)  # fmt: skip


def describe(content_type: ContentType) -> str:
    return _NAMES[content_type]


_NAMES = {
    ContentType.PDF: "a PDF",
    ContentType.DOCX: "a Word document (DOCX)",
    ContentType.PNG: "a PNG image",
    ContentType.JPEG: "a JPEG image",
    ContentType.TIFF: "a TIFF image",
    ContentType.TXT: "UTF-8 text",
    ContentType.EML: "an e-mail message (EML)",
    ContentType.CSV: "a CSV file",
}
