"""Template YAML, loaded with bounds: a size limit and a cap on nodes after alias expansion.

YAML aliases let 428 bytes name millions of nodes ("billion laughs": each level repeats the
previous one nine times). PyYAML shares the aliased objects, so loading looks cheap, but storing
the template as JSON writes every copy out (5.8 MB from those 428 bytes, and three more levels
exhaust memory). Anchors have honest uses (the built-in email-triage template shares outcomes
between steps), so they stay allowed and the *expanded* size is counted on the composed node graph
instead, before anything is constructed. A recursive alias is refused outright.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

__all__ = ["MAX_TEMPLATE_CHARS", "MAX_YAML_NODES", "TemplateYamlError", "load_template_yaml"]

MAX_TEMPLATE_CHARS = 200_000  # the API's `yaml` field has the same limit
MAX_YAML_NODES = 50_000  # after expanding aliases; the largest built-in template has ~2,000


class TemplateYamlError(ValueError):
    """Template text refused before it was expanded."""


def load_template_yaml(text: str) -> Any:
    """The YAML (or JSON) document in `text` as plain data, or `TemplateYamlError`."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateYamlError(
            f"template text is too large ({len(text)} characters, at most {MAX_TEMPLATE_CHARS})"
        )
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_expanded_size(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _recursive() -> TemplateYamlError:
    return TemplateYamlError("template YAML has a recursive alias (a node inside itself)")


def _check_expanded_size(root: Node) -> None:
    """Count nodes as if every alias were copied out, memoised per shared node (so the count
    itself stays cheap for a bomb); a node reachable from itself is a recursive alias."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order walk: deep documents cannot hit the recursion limit.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > MAX_YAML_NODES:
                raise TemplateYamlError(
                    f"template YAML expands to more than {MAX_YAML_NODES} nodes "
                    "(aliases repeat what they name; write the template out instead)"
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _recursive()
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise _recursive()
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []
