"""Every route is behind a token and one permission rule, and the role x route matrix holds.

The routes are read from the app itself, so a route added later is checked without anyone
editing this file: it fails until the route declares `Depends(require(Permission.X))`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import Mount, Route

from api.app import create_app
from api.permissions import MATRIX, Permission, allowed
from core.settings import Settings
from domain.enums import Role
from tests.harness import Stack
from tests.security.conftest import ROLE_USERS

# Reachable without a token, on purpose. Keep this short: each entry is a door left open.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/token"),
}
# The API documentation routes (plain Routes, not APIRoutes) and their assets (api/docs.py).
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/docs/assets"}
# The web console's pages and static assets hold no data: the page's scripts call the API with
# a token. Its data always comes from /api/v1, which is checked like every other route.
CONSOLE_PAGES = re.compile(r"^/($|console(/|$)|login$|static(/|$)|assets(/|$)|favicon\.ico$)")

# What the API contract promises, per role (a = admin, m = manager, c = clerk, p = partner).
# The live matrix below checks every route; this table pins the ones people rely on.
EXPECTED = {
    ("GET", "/api/v1/me"): "amcp",
    ("POST", "/api/v1/firms"): "am",
    ("GET", "/api/v1/firms"): "amcp",
    ("POST", "/api/v1/engagements"): "amp",
    ("POST", "/api/v1/engagements/{engagement_id}/cancel"): "am",
    ("POST", "/api/v1/engagements/{engagement_id}/events"): "amc",
    ("POST", "/api/v1/tasks/{task_id}/assign"): "am",
    ("POST", "/api/v1/tasks/{task_id}/claim"): "mcp",
    ("GET", "/api/v1/audit"): "amp",
    ("GET", "/api/v1/audit/export"): "amp",
    ("GET", "/api/v1/users"): "a",
    ("POST", "/api/v1/users"): "a",
    ("POST", "/api/v1/users/{user_id}/disable"): "a",
    ("POST", "/api/v1/users/{user_id}/password"): "a",
    ("POST", "/api/v1/codec/decode"): "am",
    ("POST", "/api/v1/codec/encode"): "am",
    ("GET", "/api/v1/firms/{firm_id}/data-keys"): "a",
    ("POST", "/api/v1/firms/{firm_id}/data-keys/rotate"): "a",
    ("POST", "/api/v1/firms/{firm_id}/data-keys/{version}/shred"): "a",
    ("GET", "/api/v1/notifications"): "amp",
}
LETTER = {Role.ADMIN: "a", Role.MANAGER: "m", Role.CLERK: "c", Role.PARTNER: "p"}


def _permissions(dependant: Dependant) -> Iterator[Permission]:
    for dependency in dependant.dependencies:
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            yield permission
        yield from _permissions(dependency)


def _operations(app: FastAPI) -> Iterator[tuple[str, str, Dependant]]:
    """(method, full path, dependant) of every API route, routers included at any depth."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
                yield method, str(route.path), route.dependant


def _others(app: FastAPI) -> Iterator[RouteContext]:
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            yield route


def _is_public(method: str, path: str) -> bool:
    return (method, path) in PUBLIC or bool(CONSOLE_PAGES.match(path))


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def test_every_route_declares_exactly_one_permission(settings: Settings) -> None:
    app = create_app(settings)
    missing, several = [], []
    for method, path, dependant in _operations(app):
        if _is_public(method, path):
            continue
        found = set(_permissions(dependant))
        if not found:
            missing.append(f"{method} {path}")
        elif len(found) > 1:
            several.append(f"{method} {path}: {sorted(found)}")
    assert not missing, f"routes without Depends(require(Permission.X)): {missing}"
    assert not several, f"routes with conflicting permission rules: {several}"


def test_only_documented_routes_are_not_api_routes(settings: Settings) -> None:
    app = create_app(settings)
    unexpected = [
        str(r.path)
        for r in _others(app)
        if not (isinstance(r.original_route, Route | Mount) and r.path in DOCS)
        and not (isinstance(r.original_route, Mount) and CONSOLE_PAGES.match(str(r.path)))
    ]
    assert not unexpected, f"routes outside the permission checks: {unexpected}"


def test_the_public_allowlist_still_names_real_routes(settings: Settings) -> None:
    app = create_app(settings)
    present = {(m, p) for m, p, _ in _operations(app)}
    assert present >= PUBLIC


async def test_no_route_answers_without_a_token(stack: Stack) -> None:
    app = create_app(stack.settings)
    let_through = []
    for method, path, _ in _operations(app):
        if _is_public(method, path):
            continue
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            response = await stack.http.request(method, _concrete(path), headers=headers, json={})
            if response.status_code != 401:
                let_through.append(f"{method} {path} {headers}: {response.status_code}")
    assert not let_through, let_through


async def test_each_role_gets_403_exactly_where_the_matrix_denies_it(stack: Stack) -> None:
    app = create_app(stack.settings)
    wrong = []
    for method, path, dependant in _operations(app):
        if _is_public(method, path):
            continue
        if (method, path) == ("POST", "/api/v1/auth/logout"):
            continue  # revokes the walking user's token; every role may (test_small_hardening)
        permissions = set(_permissions(dependant))
        if len(permissions) != 1:
            continue  # reported by test_every_route_declares_exactly_one_permission
        (permission,) = permissions
        for role, user in ROLE_USERS.items():
            response = await stack.http.request(
                method, _concrete(path), headers=stack.auth(user), json={}
            )
            denied = response.status_code == 403 and "may not" in response.json().get("detail", "")
            if denied == allowed(role, permission):
                wrong.append(f"{role.value} {method} {path}: {response.status_code}")
    assert not wrong, wrong


def test_the_contract_table_matches_the_declared_permissions(settings: Settings) -> None:
    app = create_app(settings)
    declared = {(m, p): set(_permissions(d)) for m, p, d in _operations(app)}
    mismatched: list[Any] = []
    for (method, path), letters in EXPECTED.items():
        assert (method, path) in declared, f"{method} {path} is gone from the app"
        (permission,) = declared[(method, path)]
        roles = "".join(LETTER[r] for r in Role if permission in MATRIX[r])
        if roles != letters:
            mismatched.append(f"{method} {path}: {roles!r}, expected {letters!r}")
    assert not mismatched, mismatched


@pytest.mark.parametrize("role", list(Role))
def test_only_admins_manage_users_and_only_staff_decrypt_payloads(role: Role) -> None:
    assert allowed(role, Permission.USERS_ADMIN) == (role == Role.ADMIN)
    assert allowed(role, Permission.CODEC) == (role in (Role.ADMIN, Role.MANAGER))
