"""Schemathesis fuzzes every operation of the OpenAPI schema, in process, as a manager: valid and
deliberately malformed requests alike must never get a server error."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.case import Case
from schemathesis.generation.modes import GenerationMode

from api.app import create_app
from core.settings import Settings
from domain.enums import Role
from tests.harness import Stack, running_stack

EXAMPLES_PER_MODE = 10  # x 2 modes x ~50 operations: well under a minute here


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings, with_worker=False) as running:
        await running.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await running.create_firm("maria")
        yield running


def _cases(settings: Settings) -> list[Case[Any]]:
    schema = schemathesis.openapi.from_dict(create_app(settings).openapi())
    cases: list[Case[Any]] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # our own schema is valid
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis_settings(
                max_examples=EXAMPLES_PER_MODE,
                database=None,
                deadline=None,
                derandomize=True,  # the same requests on every run: a failure reproduces
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def collect(case: Case[Any]) -> None:
                cases.append(case)

            # Unsatisfiable: nothing to malform in this operation (no parameters, no body).
            with contextlib.suppress(Unsatisfiable):
                collect()
    return cases


def _request(case: Case[Any], token: str) -> dict[str, Any]:
    """Schemathesis serialises for `requests`; the same request for httpx."""
    kwargs = case.as_transport_kwargs(base_url="http://test")
    headers = {k: str(v) for k, v in kwargs.get("headers", {}).items()}
    headers["Authorization"] = f"Bearer {token}"
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": headers,
        "params": {
            k: v if isinstance(v, str | int | float | bool | list) else json.dumps(v)
            for k, v in (kwargs.get("params") or {}).items()
        },
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), dict):
        request["data"] = {k: str(v) for k, v in kwargs["data"].items()}
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data if isinstance(data, bytes) else str(data).encode()
    return request


async def test_no_generated_request_gets_a_server_error(api: Stack) -> None:
    cases = _cases(api.settings)
    assert len(cases) > 100
    server_errors = []
    for case in cases:
        request = _request(case, api.tokens["maria"])
        try:
            response = await api.http.request(**request)
        except Exception as error:  # the app raised past its error handlers: a 500
            server_errors.append(f"{request['method']} {request['url']}: {error!r:.300}")
            continue
        if response.status_code >= 500:
            server_errors.append(
                f"{response.status_code} {request['method']} {request['url']} "
                f"{request.get('json') or request.get('content') or ''!r:.300}: "
                f"{response.text[:300]}"
            )
    assert not server_errors, "\n".join(server_errors)
