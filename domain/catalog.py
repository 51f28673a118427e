"""The built-in templates shipped with Docketflow, one YAML file per service line."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from domain.template_validation import validate_template
from domain.template_yaml import load_template_yaml
from domain.templates import Template

_PACKAGE = "domain.builtin_templates"


def parse_template(text: str) -> dict[str, Any]:
    """YAML (or JSON, a subset of YAML) text to a plain mapping; validation happens elsewhere.

    Size- and alias-bounded (domain/template_yaml.py): a `ValueError` names what was refused."""
    data = load_template_yaml(text)
    if not isinstance(data, dict):
        raise ValueError("a template must be a mapping with key, name and steps")
    return data


@cache
def builtin_templates() -> dict[str, Template]:
    """Every built-in template by key, parsed and validated once per process."""
    found: dict[str, Template] = {}
    for entry in sorted(resources.files(_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            template = validate_template(parse_template(entry.read_text(encoding="utf-8")))
            found[template.key] = template
    return found
