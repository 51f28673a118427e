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


def named_documents(schema: Mapping[str, Any] | None, value: Any) -> Iterator[str]:
    """Every document id `value` holds where `schema` says `format: document`, at any depth
    (a top-level field, a list of them, or a field of each item of a list of objects)."""
    if not isinstance(schema, Mapping):
        return
    if schema.get("format") == DOCUMENT_FORMAT and isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for name, prop in (schema.get("properties") or {}).items():
            if name in value:
                yield from named_documents(prop, value[name])
    elif isinstance(value, list):
        for item in value:
            yield from named_documents(schema.get("items"), item)
