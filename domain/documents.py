"""Documents as the templates see them: the kinds of work product, and which task output fields
name a document (`{"type": "string", "format": "document"}`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

DOCUMENT_FORMAT = "document"


class DocumentKind(StrEnum):
    DRAFT = "draft"
    FILING = "filing"
    STAMPED = "stamped"  # a Bates-stamped copy
    RECORD = "record"  # medical and other records received
    CHRONOLOGY = "chronology"
    SUMMARY = "summary"
    DEMAND_LETTER = "demand_letter"
    REVIEW_BATCH = "review_batch"
    PRODUCTION = "production"
    EXHIBIT = "exhibit"
    EXHIBIT_BUNDLE = "exhibit_bundle"
    INVOICE = "invoice"
    CONTRACT = "contract"
    RESEARCH_MEMO = "research_memo"
    CORRESPONDENCE = "correspondence"
    INSTRUCTIONS = "instructions"
    OTHER = "other"


def document_fields(schema: Mapping[str, Any] | None) -> list[tuple[str, bool]]:
    """Top-level output properties that name documents: (name, is a list of documents)."""
    found: list[tuple[str, bool]] = []
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        if prop.get("format") == DOCUMENT_FORMAT:
            found.append((name, False))
        elif (
            prop.get("type") == "array"
            and (prop.get("items") or {}).get("format") == DOCUMENT_FORMAT
        ):
            found.append((name, True))
    return found


def named_documents(schema: Mapping[str, Any] | None, output: Mapping[str, Any]) -> Iterator[str]:
    """Every document id a task output names through the schema's document fields."""
    for name, many in document_fields(schema):
        value = output.get(name)
        if many and isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))
        elif not many and isinstance(value, str):
            yield value
