"""The task form, generated from the step's output schema (JSON Schema), and its way back.

Supported: string, number, integer, boolean, enum (any type) and arrays of strings (one per
line). Anything else is edited as JSON text, so no schema leaves a clerk without a way to answer;
the API validates the result against the schema either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FIELD_PREFIX = "out."


@dataclass(frozen=True)
class FormField:
    name: str  # the property name in the output
    label: str
    widget: str  # text | number | integer | checkbox | select | lines | json
    required: bool
    help: str = ""
    options: list[str] = field(default_factory=list)
    value: str = ""
    checked: bool = False

    @property
    def input_name(self) -> str:
        return FIELD_PREFIX + self.name

    @property
    def input_id(self) -> str:
        return "f-" + self.name.replace(" ", "-")


def _widget(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "array" and prop.get("items", {}).get("type", "string") == "string":
        return "lines"
    return {"string": "text", "number": "number", "integer": "integer", "boolean": "checkbox"}.get(
        str(kind), "json"
    )


def _shown(widget: str, value: Any) -> str:
    if value is None:
        return ""
    if widget == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if widget == "json":
        return json.dumps(value, indent=2)
    return str(value)


def fields_for(
    schema: Mapping[str, Any] | None, values: Mapping[str, Any] | None = None
) -> list[FormField]:
    """The inputs for an output schema, pre-filled from `values` (a previous attempt)."""
    if not schema:
        return []
    required = set(schema.get("required", []))
    values = values or {}
    fields: list[FormField] = []
    properties: Mapping[str, Any] = schema.get("properties") or {}
    # Required inputs first, in the schema's `required` order (an array keeps its order; the
    # properties object does not survive JSONB with its order), then the rest by name.
    order = [n for n in schema.get("required", []) if n in properties]
    order += sorted(n for n in properties if n not in order)
    for name in order:
        prop = properties[name]
        widget = _widget(prop)
        current = values.get(name, prop.get("default"))
        fields.append(
            FormField(
                name=name,
                label=str(prop.get("title") or name.replace("_", " ").capitalize()),
                widget=widget,
                required=name in required,
                help=str(prop.get("description", "")),
                options=[str(o) for o in prop.get("enum", [])],
                value=_shown(widget, current),
                checked=bool(current) if widget == "checkbox" else False,
            )
        )
    return fields


class FormInputError(ValueError):
    """A value could not be read as its type (the message names the field)."""


def output_from_form(schema: Mapping[str, Any] | None, form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON output a form submission means; empty optional inputs are left out."""
    output: dict[str, Any] = {}
    for f in fields_for(schema):
        prop = (schema or {}).get("properties", {}).get(f.name, {})
        raw = form.get(f.input_name)
        if f.widget == "checkbox":
            output[f.name] = raw is not None
            continue
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        try:
            if f.widget == "number":
                output[f.name] = float(raw)
            elif f.widget == "integer":
                output[f.name] = int(raw)
            elif f.widget == "lines":
                output[f.name] = [line.strip() for line in raw.splitlines() if line.strip()]
            elif f.widget == "json":
                output[f.name] = json.loads(raw)
            elif f.widget == "select":
                output[f.name] = _enum_value(prop.get("enum", []), raw)
            else:
                output[f.name] = raw
        except ValueError:
            raise FormInputError(f"{f.label}: {raw!r} is not a valid {f.widget}") from None
    return output


def _enum_value(options: list[Any], raw: str) -> Any:
    for option in options:
        if str(option) == raw:
            return option
    raise ValueError(raw)
