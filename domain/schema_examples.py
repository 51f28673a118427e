"""Example values for a template's JSON Schemas: the smallest instance each schema accepts.

What the engine tests and the simulated BPO day (bench/bpo_day.py) complete every step of every
built-in template with; a `format: document` field gets the DOCUMENT placeholder, which the
caller replaces with the id of a real upload (`with_document`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

FIELD_HINTS = {
    # Values for the patterned fields of the built-in templates (UTBMS, ICD-10, Bates, names).
    "activity_code": "A101",
    "task_code": "L110",
    "expense_code": "E101",
    "timekeeper_name": "Roe, Jane",
    "bates_prefix": "HM",
    "incident_state": "GA",
    "icd10": "S13.4XXA",
    "citation": "Marbury v. Madison, 5 U.S. 137 (1803)",
    "signature": "/s/ Jane Roe",
    "case_number": "3:24-cv-01234",
    "court": "NDCA",
    "email": "clerk@example.com",
}


DOCUMENT = "<document>"


def with_document(value: Any, document_id: str) -> Any:
    if value == DOCUMENT:
        return document_id
    if isinstance(value, dict):
        return {k: with_document(v, document_id) for k, v in value.items()}
    if isinstance(value, list):
        return [with_document(v, document_id) for v in value]
    return value


def example(schema: dict[str, Any], name: str = "", array_items: int = 1) -> Any:
    """A small instance that validates against `schema` (the subset templates use)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and not isinstance(schema["default"], dict | list):
        return schema["default"]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        for option in schema.get("anyOf", schema.get("oneOf", []))[:1]:
            required |= set(option.get("required", []))  # satisfy the first alternative
        required |= set(schema.get("then", {}).get("required", []))  # harmless when `if` fails
        for branch in schema.get("allOf", []):
            required |= set(branch.get("then", {}).get("required", []))  # as above
        return {
            key: example(sub, key, array_items)
            for key, sub in properties.items()
            if key in required or key in ("bills", "records")
        }
    if kind == "array":
        count = max(schema.get("minItems", 0), array_items)
        return [example(schema.get("items", {"type": "string"}), name, 1) for _ in range(count)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return float(max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1, 1))
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "document":
        return DOCUMENT  # replaced by the id of a real upload before completing
    if fmt == "date":
        return date(2026, 1, 15).isoformat()
    if fmt == "date-time":
        return "2026-01-15T10:00:00+00:00"
    if fmt == "email":
        return "someone@example.com"
    for hint, value in FIELD_HINTS.items():
        if hint in name:
            return value
    return "x" * max(int(schema.get("minLength", 1)), 4)
