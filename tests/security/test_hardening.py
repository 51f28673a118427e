"""Malformed or oversized requests get a clear 4xx in problem+json; every response carries the
security headers; production refuses default or weak key material."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.settings import DEV_AUDIT_SIGNING_KEY, Settings
from domain.enums import Role
from tests.harness import Stack, running_stack


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Stack]:
    limited = settings.model_copy(update={"max_request_bytes": 4096})
    async with running_stack(limited, with_worker=False) as running:
        await running.add_user("maria", Role.MANAGER)
        yield running


async def test_an_oversized_body_is_refused_with_413(api: Stack) -> None:
    big = {"name": "x" * 10_000}
    response = await api.call("POST", "/firms", "maria", 413, json=big)
    assert response.headers["content-type"] == "application/problem+json"
    assert "4096" in response.json()["detail"]


async def test_a_body_streamed_without_length_is_cut_off_at_the_limit(api: Stack) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = await api.http.post(
        "/api/v1/firms",
        content=chunks(),
        headers={**api.auth("maria"), "content-type": "application/json"},
    )
    assert response.status_code == 413


async def test_an_unknown_field_is_named_in_a_422(api: Stack) -> None:
    response = await api.call(
        "POST", "/firms", "maria", 422, json={"name": "Hale LLP", "colour": "red"}
    )
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["errors"][0]["field"] == "colour"
    assert "colour" in body["detail"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"name=x", "application/x-www-form-urlencoded"),
    ],
)
async def test_malformed_bodies_get_a_4xx_never_a_5xx(
    api: Stack, content: bytes, content_type: str
) -> None:
    response = await api.http.post(
        "/api/v1/firms",
        content=content,
        headers={**api.auth("maria"), "content-type": content_type},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_responses_carry_security_headers(api: Stack) -> None:
    for path in ("/healthz", "/api/v1/me", "/api/v1/nowhere"):
        response = await api.http.get(path, headers=api.auth("maria"))
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    me = await api.http.get("/api/v1/me", headers=api.auth("maria"))
    assert me.headers["cache-control"] == "no-store"


async def test_an_oversized_request_id_is_replaced_not_stored(api: Stack) -> None:
    response = await api.call("POST", "/firms", "maria", 201, json={"name": "Hale LLP"})
    assert len(response.headers["x-request-id"]) <= 64
    odd = await api.http.post(
        "/api/v1/firms",
        json={"name": "Morrow LLP"},
        headers={**api.auth("maria"), "X-Request-ID": "r" * 500},
    )
    assert odd.status_code == 201
    assert odd.headers["x-request-id"] != "r" * 500
    kept = await api.http.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert kept.headers["x-request-id"] == "req-42"


PROD: dict[str, Any] = {"env": "prod", "secret_key": "s" * 48}
STRONG = "cHJvZC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmctLTE="  # base64 of 32 bytes
# A wrapped key is only unwrapped at process start; the settings check its presence.
KEYS: dict[str, Any] = {
    "codec_master_key": STRONG,
    "codec_keys": {"k1": "d3JhcHBlZA=="},
    "audit_signing_key": STRONG,  # any 32 bytes are an Ed25519 seed
}


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"secret_key": "short"}, "SECRET_KEY"),
        ({}, "CODEC_MASTER_KEY"),
        ({"codec_master_key": STRONG}, "CODEC_KEYS"),
        ({**KEYS, "codec_master_key": "dG9vIHNob3J0"}, "32"),
        ({**KEYS, "codec_key_id": "k9"}, "CODEC_KEY_ID"),
        ({**KEYS, "token_retired_keys": {"old": "weak"}}, "retired"),
        ({**KEYS, "audit_signing_key": DEV_AUDIT_SIGNING_KEY}, "AUDIT_SIGNING_KEY"),
        ({**KEYS, "audit_signing_key": "dG9vIHNob3J0"}, "AUDIT_SIGNING_KEY"),
    ],
)
def test_prod_refuses_default_missing_or_weak_keys(
    overrides: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        Settings(**{**PROD, **overrides})


def test_prod_starts_with_strong_keys() -> None:
    assert Settings(**{**PROD, **KEYS}).env == "prod"
