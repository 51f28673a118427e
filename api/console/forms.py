"""The task form, generated from the step's output schema (JSON Schema), and its way back.

Supported: string, number, integer, boolean, enum (any type) and arrays of strings (one per
line). Anything else is edited as JSON text, so no schema leaves a clerk without a way to answer;
the API validates the result against the schema either way.

The schema's limits become the inputs' own HTML constraints (lengths, minimum and maximum,
pattern, email and date inputs), so the browser enforces them before submit; the server checks
the same schema with `jsonschema` and puts each problem beside its field in plain words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

FIELD_PREFIX = "out."
# Inputs of the form that are not output fields (kept in drafts too).
EXTRA_INPUTS = ("outcome", "note")
FORMAT_INPUTS = {"email": "email", "date": "date", "uri": "url"}


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
    # HTML constraint attributes from the schema (minlength, max, pattern, type, …).
    attrs: dict[str, str] = field(default_factory=dict)
    # (value, label) pairs of a document pick: the engagement's documents, newest first.
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""

    @property
    def input_name(self) -> str:
        return FIELD_PREFIX + self.name

    @property
    def input_id(self) -> str:
        return "f-" + self.name.replace(" ", "-")


def _widget(prop: Mapping[str, Any]) -> str:
    if prop.get("format") == "document":
        return "document"  # a pick from the engagement's documents (uploaded beside the form)
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


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _constraints(widget: str, prop: Mapping[str, Any]) -> dict[str, str]:
    """The schema's limits as HTML attributes the browser enforces before submit."""
    attrs: dict[str, str] = {}
    if widget == "text":
        attrs["type"] = FORMAT_INPUTS.get(str(prop.get("format")), "text")
        if "minLength" in prop:
            attrs["minlength"] = str(prop["minLength"])
        if "maxLength" in prop:
            attrs["maxlength"] = str(prop["maxLength"])
        if "pattern" in prop:
            attrs["pattern"] = str(prop["pattern"]).removeprefix("^").removesuffix("$")
    if widget in ("number", "integer"):
        attrs["type"] = "number"
        attrs["step"] = "1" if widget == "integer" else "any"
        attrs["inputmode"] = "numeric" if widget == "integer" else "decimal"
        if "minimum" in prop:
            attrs["min"] = _number(prop["minimum"])
        if "maximum" in prop:
            attrs["max"] = _number(prop["maximum"])
        # No HTML attribute says "above"; console.js checks these two.
        if "exclusiveMinimum" in prop:
            attrs["data-above"] = _number(prop["exclusiveMinimum"])
        if "exclusiveMaximum" in prop:
            attrs["data-below"] = _number(prop["exclusiveMaximum"])
    if widget == "lines" and "maxItems" in prop:
        attrs["data-max-lines"] = str(prop["maxItems"])
    return attrs


def fields_for(
    schema: Mapping[str, Any] | None,
    values: Mapping[str, Any] | None = None,
    *,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    documents: Sequence[Mapping[str, Any]] = (),
) -> list[FormField]:
    """The inputs for an output schema, pre-filled from `typed` (what the user typed: a draft or a
    refused submission) or else from `values` (an output: this task's or the previous visit's)."""
    if not schema:
        return []
    required = set(schema.get("required", []))
    values = values or {}
    errors = errors or {}
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
        shown = _shown(widget, current)
        checked = bool(current) if widget == "checkbox" else False
        if typed is not None:
            raw = typed.get(FIELD_PREFIX + name)
            shown = raw if raw is not None and widget != "checkbox" else ""
            checked = widget == "checkbox" and raw is not None
        fields.append(
            FormField(
                name=name,
                label=str(prop.get("title") or name.replace("_", " ").capitalize()),
                widget=widget,
                required=name in required,
                help=str(prop.get("description", "")),
                options=[str(o) for o in prop.get("enum", [])],
                value=shown,
                checked=checked,
                attrs=_constraints(widget, prop) if widget != "document" else {},
                error=errors.get(name, ""),
                choices=_document_choices(documents) if widget == "document" else [],
            )
        )
    return fields


def _document_choices(documents: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    newest = sorted(documents, key=lambda d: str(d.get("created_at", "")), reverse=True)
    return [(str(d["id"]), f"{d['title']} (v{d['version']}, {d['filename']})") for d in newest]


class FormInputError(ValueError):
    """The form could not be read or does not match the schema: `errors` maps each output field
    (or "" for the form as a whole) to a plain sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))
        self.errors = errors


_NOT_A = {
    "number": "Enter a number.",
    "integer": "Enter a whole number.",
    "json": "This is not valid JSON.",
    "select": "Pick one of the listed options.",
}


def output_from_form(schema: Mapping[str, Any] | None, form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON output a form submission means; empty optional inputs are left out.

    Raises FormInputError with every field's problem (unreadable, or against the schema)."""
    output: dict[str, Any] = {}
    errors: dict[str, str] = {}
    properties = (schema or {}).get("properties", {})
    for f in fields_for(schema):
        prop = properties.get(f.name, {})
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
            errors[f.name] = _NOT_A[f.widget]
    if schema:
        for error in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(
            output
        ):
            name, sentence = _plain(error, properties)
            if name not in errors:
                errors.setdefault(name, sentence)
    if errors:
        raise FormInputError(errors)
    return output


def _count(n: Any, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _plain(error: ValidationError, properties: Mapping[str, Any]) -> tuple[str, str]:
    """The output field an error is about, and what to do about it, in plain words."""
    path = list(error.absolute_path)
    name = str(path[0]) if path else ""
    value: Any = error.validator_value
    if error.validator == "required" and not path:
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [r for r in value if r not in instance]
        return (missing[0] if missing else ""), "This is required."
    prop = properties.get(name, {})
    sentences = {
        "minLength": (
            "This is required." if value == 1 else f"Enter at least {_count(value, 'character')}."
        ),
        "maxLength": f"Use at most {_count(value, 'character')}.",
        "minimum": f"Enter {value} or more.",
        "maximum": f"Enter {value} or less.",
        "exclusiveMinimum": f"Enter a number above {value}.",
        "exclusiveMaximum": f"Enter a number below {value}.",
        "minItems": f"Give at least {_count(value, 'line')}.",
        "maxItems": f"Give at most {_count(value, 'line')}.",
        "enum": "Pick one of the listed options.",
        "type": _NOT_A.get(str(value), f"This should be a {value}."),
        "format": {
            "email": "Enter an email address, like name@example.com.",
            "date": "Enter a date as YYYY-MM-DD.",
            "date-time": "Enter a date and time with its offset, like 2027-01-19T17:00:00-05:00.",
        }.get(str(value), f"Use the {value} format."),
        "pattern": "Use the expected format"
        + (f": {prop['description']}." if prop.get("description") else "."),
        "additionalProperties": "The form has an input the step does not take.",
    }
    return name, sentences.get(str(error.validator), error.message)


def _enum_value(options: list[Any], raw: str) -> Any:
    for option in options:
        if str(option) == raw:
            return option
    raise ValueError(raw)
