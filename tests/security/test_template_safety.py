"""A template published by a manager cannot make the API fetch URLs, pin its event loop or
exhaust its memory (issue 14, item 1): the schemas are evaluated with no remote retrieval and an
RE2-class regex engine, off the event loop, and templates are size-, depth- and alias-bounded."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from domain.templates import Template
from store.db import make_engine, make_session_factory
from store.repositories import templates
from tests.harness import Stack

# The billion-laughs bomb of the issue: 428 bytes of YAML that expand to millions of nodes.
YAML_BOMB = """\
key: bomb
name: Bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
steps: [{id: work, kind: human, queue: drafting, outcomes: {done: end}}]
"""


def _template(key: str, input_schema: dict[str, Any] | None = None, **step: Any) -> dict[str, Any]:
    human = {"id": "work", "kind": "human", "queue": "drafting", "outcomes": {"done": "end"}}
    return {
        "key": key,
        "name": key.replace("-", " ").title(),
        "input_schema": input_schema or {"type": "object"},
        "steps": [{**human, **step}],
    }


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = b'{"type": "string"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/schema+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def internal_service() -> Iterator[tuple[str, list[str]]]:
    """A stand-in for an internal HTTP service an attacker would point a `$ref` at."""
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"requests": seen})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


async def test_a_remote_ref_is_refused_at_publish_and_never_fetched(
    stack: Stack, internal_service: tuple[str, list[str]]
) -> None:
    url, seen = internal_service
    schema = {"type": "object", "properties": {"court": {"$ref": f"{url}/schema.json"}}}
    response = await stack.call(
        "POST", "/templates", "maria", 422, json={"definition": _template("ssrf", schema)}
    )
    assert "only local references" in response.json()["detail"]
    assert seen == []


async def test_a_stored_remote_ref_is_never_fetched_by_an_engagement_create(
    stack: Stack, internal_service: tuple[str, list[str]]
) -> None:
    # A template stored before publish refused remote refs: creating an engagement evaluates it.
    url, seen = internal_service
    schema = {"type": "object", "properties": {"court": {"$ref": f"{url}/schema.json"}}}
    template = Template.model_validate(_template("stored-ssrf", schema))
    engine = make_engine(stack.settings.database_url, pool_size=1)
    try:
        async with make_session_factory(engine).begin() as session:
            await templates.publish(session, template, created_by=None)
    finally:
        await engine.dispose()
    response = await stack.call(
        "POST",
        "/engagements",
        "maria",
        json={
            "firm_id": stack.user_ids["firm_a"],
            "template": "stored-ssrf",
            "title": "Motion",
            "inputs": {"court": "SDNY"},
        },
    )
    assert response.status_code == 422, response.text
    assert seen == []


async def test_a_catastrophic_pattern_does_not_stop_the_api(stack: Stack) -> None:
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}},
    }
    redos = _template("redos", None, output_schema=schema)
    await stack.call("POST", "/templates", "maria", 201, json={"definition": redos})
    engagement = await stack.create_engagement("maria", stack.user_ids["firm_a"], "redos", {})
    task = await stack.wait_for_task(engagement, "work", "carlos")
    await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)

    # With a backtracking engine this input takes minutes and holds the event loop throughout.
    attack = asyncio.create_task(
        stack.call(
            "POST",
            f"/tasks/{task['id']}/complete",
            "carlos",
            json={"outcome": "done", "output": {"code": "a" * 40 + "!"}},
        )
    )
    # /healthz keeps answering while the completion is evaluated (the issue measured it frozen).
    began = time.monotonic()
    slowest = 0.0
    while True:
        started = time.monotonic()
        health = await stack.http.get("/healthz")
        assert health.status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        if attack.done() or time.monotonic() - began > 3:
            break
        await asyncio.sleep(0.05)
    assert slowest < 1, f"/healthz took {slowest:.1f}s during the attack"
    refused = await asyncio.wait_for(attack, timeout=10)
    assert refused.status_code == 422, refused.text
    assert "output.code" in refused.text


async def test_a_pattern_only_a_backtracking_engine_runs_is_refused_at_publish(
    stack: Stack,
) -> None:
    schema = {"type": "object", "properties": {"x": {"type": "string", "pattern": "^(a)\\1$"}}}
    response = await stack.call(
        "POST", "/templates", "maria", 422, json={"definition": _template("backref", schema)}
    )
    assert "'^(a)\\\\1$'" in response.json()["detail"] or "^(a)\\1$" in response.json()["detail"]
    keys = {"type": "object", "patternProperties": {"(?=x)": {"type": "string"}}}
    response = await stack.call(
        "POST", "/templates", "maria", 422, json={"definition": _template("lookahead", keys)}
    )
    assert "patternProperties" in response.json()["detail"]


async def test_the_yaml_bomb_is_refused_without_expanding_it(stack: Stack) -> None:
    assert len(YAML_BOMB.encode()) < 600
    started = time.monotonic()
    response = await stack.call("POST", "/templates", "maria", 422, json={"yaml": YAML_BOMB})
    assert time.monotonic() - started < 2
    assert "nodes" in response.json()["detail"]


async def test_yaml_anchors_within_the_node_limit_still_work(stack: Stack) -> None:
    text = """\
key: anchored
name: Anchored
steps:
  - {id: first, kind: human, queue: drafting, outcomes: &next {done: second}}
  - {id: second, kind: human, queue: drafting, outcomes: {done: end}}
"""
    await stack.call("POST", "/templates", "maria", 201, json={"yaml": text})


async def test_a_recursive_yaml_alias_is_refused(stack: Stack) -> None:
    text = "key: loop\nname: Loop\nsteps: &s [*s]\n"
    response = await stack.call("POST", "/templates", "maria", 422, json={"yaml": text})
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_too_deep_schema_is_refused(stack: Stack) -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(60):
        schema = {"type": "object", "properties": {"x": schema}}
    response = await stack.call(
        "POST", "/templates", "maria", 422, json={"definition": _template("deep", schema)}
    )
    assert "deep" in response.json()["detail"]


async def test_a_too_large_template_is_refused(stack: Stack) -> None:
    properties = {f"field_{i}": {"type": "string", "description": "x" * 40} for i in range(5000)}
    schema = {"type": "object", "properties": properties}
    response = await stack.call(
        "POST", "/templates", "maria", 422, json={"definition": _template("huge", schema)}
    )
    assert "too large" in response.json()["detail"]
