"""Template schemas evaluated off the event loop, with a time limit.

A schema and its instance are bounded (domain/schema_safety.py: RE2 regexes, size limits), but a
big schema over a big body is still CPU work: on the event loop it would delay every other request,
`/healthz` included. A small dedicated pool keeps it off the loop and away from the default
executor that password hashing uses; past the limit the request gets a 422 and the loop moves on
(the thread finishes on its own: RE2 matching is linear, so it cannot run for long).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import HTTPException

from domain.schema_safety import instance_errors

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="schema-check")


def _errors(schema: Mapping[str, Any], instance: Any, field: str) -> list[dict[str, str]]:
    return [
        {"field": field + "".join(f".{p}" for p in error.absolute_path), "message": error.message}
        for error in instance_errors(schema, instance)
    ]


async def schema_errors(
    schema: Mapping[str, Any] | None, instance: Any, *, field: str, limit_seconds: float
) -> list[dict[str, str]]:
    """Every way `instance` (named `field` in messages) fails `schema`; 422 past the limit."""
    if not schema:
        return []
    work = asyncio.get_running_loop().run_in_executor(_POOL, _errors, schema, instance, field)
    try:
        return await asyncio.wait_for(work, limit_seconds)
    except TimeoutError:
        raise HTTPException(
            status_code=422,
            detail=f"{field} could not be checked against the template's schema within "
            f"{limit_seconds:g} s; ask a manager to simplify the schema",
        ) from None


def summary(errors: list[dict[str, str]]) -> str:
    """The first few problems on one line, for a 422's detail."""
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])


async def refuse_unless_valid(
    schema: Mapping[str, Any] | None,
    instance: Any,
    *,
    field: str,
    limit_seconds: float,
    what: str,
) -> None:
    """422 `<what>: <problems>` unless `instance` matches `schema`."""
    errors = await schema_errors(schema, instance, field=field, limit_seconds=limit_seconds)
    if errors:
        raise HTTPException(status_code=422, detail=f"{what}: {summary(errors)}")
