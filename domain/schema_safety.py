"""JSON Schemas from templates, evaluated so that a schema cannot attack the process running it.

A template's schemas are written by a manager and evaluated on every engagement create and task
completion, so they are untrusted code in a small language. Three properties keep them harmless:

- **No retrieval**: validators resolve `$ref`s in a `referencing.Registry()` without a retriever
  (jsonschema's default fetches any http(s) URL, with no timeout: server-side request forgery),
  and publishing accepts only local `#…` references.
- **No catastrophic backtracking**: `pattern` and `patternProperties` run on RE2, whose matching
  time is linear in the input (Python's `re` takes exponential time on `^(a+)+$` against
  `"a"*40 + "!"`). A pattern RE2 cannot compile (backreferences, lookaround) is refused at publish.
- **Bounded size**: a schema has at most `MAX_SCHEMA_NODES` nodes and `MAX_SCHEMA_DEPTH` levels.

See docs/security.md ("Templates are untrusted input").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import re2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable

__all__ = [
    "MAX_SCHEMA_DEPTH",
    "MAX_SCHEMA_NODES",
    "instance_errors",
    "schema_safety_problems",
]

MAX_SCHEMA_DEPTH = 32
MAX_SCHEMA_NODES = 5_000

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported to the author, not to stderr
# RE2 compiles to an automaton bounded by this budget, so a pattern cannot exhaust memory either.
_RE2_OPTIONS.max_mem = 8 << 20


def _compile(pattern: str) -> Any:
    return re2.compile(pattern, _RE2_OPTIONS)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "string"):
        return
    try:
        compiled = _compile(pattern)
    except re2.error:
        # Stored before publish refused it: fail the value rather than run a backtracking engine.
        yield ValidationError(f"the template's pattern {pattern!r} is not supported")
        return
    if not compiled.search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    # jsonschema's Validator protocol does not declare `descend`, which keywords use.
    validator: Any,
    properties: Mapping[str, Any],
    instance: Any,
    schema: Any,
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        try:
            compiled = _compile(pattern)
        except re2.error:
            yield ValidationError(f"the template's patternProperties {pattern!r} is not supported")
            continue
        for name, value in instance.items():
            if compiled.search(name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


_SafeValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties},
)
# No retriever: an unknown URI is unresolvable instead of fetched (the draft 2020-12 meta-schemas
# jsonschema ships are still known, offline).
_NO_RETRIEVAL: Registry[Any] = Registry()


def instance_errors(schema: Mapping[str, Any], instance: Any) -> list[ValidationError]:
    """Every way `instance` fails `schema`, sorted by location; never touches the network.

    CPU-bound (a big schema over a big instance): callers on an event loop run it in a thread
    with a time limit (api/schema_checks.py)."""
    validator = _SafeValidator(dict(schema), registry=_NO_RETRIEVAL)
    try:
        errors = list(validator.iter_errors(instance))
    except Unresolvable as error:  # a remote `$ref` stored before publish refused them
        return [ValidationError(f"the template's schema cannot be evaluated: {error}")]
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def schema_safety_problems(schema: Any, where: str) -> list[str]:
    """Why publishing `schema` would be unsafe: too big or deep, remote `$ref`s, non-RE2 regexes."""
    problems: list[str] = []
    nodes = 0
    todo: list[tuple[Any, tuple[str, ...]]] = [(schema, ())]
    while todo:
        node, path = todo.pop()
        nodes += 1
        if nodes > MAX_SCHEMA_NODES:
            problems.append(f"{where} is too large (more than {MAX_SCHEMA_NODES} nodes)")
            break
        if len(path) > MAX_SCHEMA_DEPTH:
            problems.append(f"{where} is too deep (more than {MAX_SCHEMA_DEPTH} levels)")
            break
        at = f" at '{'/'.join(path)}'" if path else ""
        if isinstance(node, Mapping):
            for keyword in ("$ref", "$dynamicRef"):
                target = node.get(keyword)
                if isinstance(target, str) and not target.startswith("#"):
                    problems.append(
                        f"{where}{at}: {keyword} {target!r} is not allowed (only local references "
                        "such as '#/$defs/name'; nothing is ever fetched)"
                    )
            pattern = node.get("pattern")
            if isinstance(pattern, str) and not _re2_compiles(pattern):
                problems.append(f"{where}{at}: pattern {pattern!r} {_RE2_REFUSAL}")
            properties = node.get("patternProperties")
            if isinstance(properties, Mapping):
                problems.extend(
                    f"{where}{at}: patternProperties {key!r} {_RE2_REFUSAL}"
                    for key in properties
                    if isinstance(key, str) and not _re2_compiles(key)
                )
            todo.extend((value, (*path, str(key))) for key, value in node.items())
        elif isinstance(node, list):
            todo.extend((value, (*path, str(index))) for index, value in enumerate(node))
    return problems


_RE2_REFUSAL = (
    "uses a regex feature without a linear-time match (backreferences, lookahead or lookbehind); "
    "rewrite it without them"
)


def _re2_compiles(pattern: str) -> bool:
    try:
        _compile(pattern)
    except re2.error:
        return False
    return True
