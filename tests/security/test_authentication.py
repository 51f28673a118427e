"""Logins are throttled; tokens expire, are revoked by disabling or a new password, and survive
a signing-key rotation until they expire."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from cli.bootstrap import add_user
from cli.main import app as cli
from core.security import issue_token
from core.settings import Settings
from domain.enums import Role
from tests.harness import PASSWORD, Stack, running_api, running_stack

TOKEN = "/api/v1/auth/token"


async def _login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post(TOKEN, data={"username": username, "password": password})


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Stack]:
    """The API alone (no worker): authentication needs no workflows."""
    fast = settings.model_copy(update={"login_max_failures": 3, "login_lockout_seconds": 120})
    async with running_stack(fast, with_worker=False) as running:
        await running.add_user("ada", Role.ADMIN)
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        yield running


async def test_repeated_failures_lock_the_username_out_with_retry_after(api: Stack) -> None:
    for _ in range(3):
        assert (await _login(api.http, "carlos", "wrong-password")).status_code == 401
    locked = await _login(api.http, "carlos", PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 120
    assert locked.headers["content-type"].startswith("application/problem+json")
    # Another user from the same address is not locked out by carlos's failures.
    assert (await _login(api.http, "ada", PASSWORD)).status_code == 200


async def test_a_success_before_the_limit_resets_the_count(api: Stack) -> None:
    for _ in range(2):
        assert (await _login(api.http, "carlos", "wrong-password")).status_code == 401
    assert (await _login(api.http, "carlos", PASSWORD)).status_code == 200
    for _ in range(2):
        assert (await _login(api.http, "carlos", "wrong-password")).status_code == 401
    assert (await _login(api.http, "carlos", PASSWORD)).status_code == 200


async def test_one_users_failures_lock_no_one_else_behind_the_same_address(api: Stack) -> None:
    # Behind an ingress every user shares its address: one user's guesses lock only that pair.
    for _ in range(3):
        assert (await _login(api.http, "carlos", "wrong-password")).status_code == 401
    assert (await _login(api.http, "carlos", PASSWORD)).status_code == 429
    assert (await _login(api.http, "ada", PASSWORD)).status_code == 200


async def test_a_guessed_account_still_logs_in_from_another_address(settings: Settings) -> None:
    # A trusted proxy (the ingress at 127.0.0.1, the ASGI test client's address) names the client.
    fast = settings.model_copy(update={"login_max_failures": 3, "forwarded_allow_ips": "127.0.0.1"})
    async with running_stack(fast, with_worker=False) as running:
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(3):
            response = await running.http.post(
                TOKEN, data={"username": "carlos", "password": "guess"}, headers=attacker
            )
            assert response.status_code == 401
        response = await running.http.post(
            TOKEN, data={"username": "carlos", "password": PASSWORD}, headers=attacker
        )
        assert response.status_code == 429
        own = {"X-Forwarded-For": "198.51.100.20"}
        response = await running.http.post(
            TOKEN, data={"username": "carlos", "password": PASSWORD}, headers=own
        )
        assert response.status_code == 200


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings: Settings) -> None:
    fast = settings.model_copy(update={"login_max_failures": 3, "forwarded_allow_ips": "10.9.9.9"})
    async with running_stack(fast, with_worker=False) as running:
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        for n in range(3):
            # A new spoofed address per guess does not buy new guesses.
            spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
            response = await running.http.post(
                TOKEN, data={"username": "carlos", "password": "guess"}, headers=spoofed
            )
            assert response.status_code == 401
        response = await running.http.post(
            TOKEN,
            data={"username": "carlos", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.99"},
        )
        assert response.status_code == 429


async def test_a_parallel_burst_gets_no_more_guesses_than_the_limit(api: Stack) -> None:
    answers = await asyncio.gather(*(_login(api.http, "carlos", f"guess-{n}") for n in range(20)))
    codes = sorted(response.status_code for response in answers)
    assert codes.count(401) == 3, codes  # login_max_failures in this fixture
    assert codes.count(429) == 17, codes


async def test_each_failure_after_the_limit_doubles_the_wait(settings: Settings) -> None:
    # A 3 s base leaves room for a loaded machine between the requests.
    quick = settings.model_copy(
        update={
            "login_max_failures": 2,
            "login_backoff_base_seconds": 3,
            "login_lockout_seconds": 60,
        }
    )
    async with running_api(quick) as (http, _):
        await add_user(quick, "carlos", Role.CLERK, PASSWORD, None, [])
        for _ in range(2):
            assert (await _login(http, "carlos", "guess")).status_code == 401
        first = await _login(http, "carlos", PASSWORD)
        assert first.status_code == 429
        assert 1 <= int(first.headers["Retry-After"]) <= 3
        await asyncio.sleep(int(first.headers["Retry-After"]) + 0.2)
        assert (await _login(http, "carlos", "guess")).status_code == 401
        second = await _login(http, "carlos", PASSWORD)
        assert second.status_code == 429
        assert 4 <= int(second.headers["Retry-After"]) <= 6  # twice the base
        await asyncio.sleep(int(second.headers["Retry-After"]) + 0.2)
        assert (await _login(http, "carlos", PASSWORD)).status_code == 200


async def test_guessing_the_current_password_is_throttled(api: Stack) -> None:
    for _ in range(3):
        await api.call(
            "POST",
            "/me/password",
            "carlos",
            403,
            json={"current_password": "guess", "new_password": "a-new-password-1"},
        )
    response = await api.call(
        "POST",
        "/me/password",
        "carlos",
        429,
        json={"current_password": PASSWORD, "new_password": "a-new-password-1"},
    )
    assert int(response.headers["Retry-After"]) >= 1


async def test_a_login_rehashes_a_password_hashed_with_older_parameters(api: Stack) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    engine = create_async_engine(api.settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE users SET password_hash = :h WHERE username = 'carlos'"),
                {"h": weak.hash(PASSWORD)},
            )
        assert (await _login(api.http, "carlos", PASSWORD)).status_code == 200
        async with engine.connect() as connection:
            stored = (
                await connection.execute(
                    text("SELECT password_hash FROM users WHERE username = 'carlos'")
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    assert not PasswordHasher().check_needs_rehash(stored)
    await api.call("GET", "/me", "carlos", 200)  # a rehash revokes no token


async def test_the_lockout_is_shared_by_every_api_replica(api: Stack) -> None:
    for _ in range(3):
        await _login(api.http, "carlos", "wrong-password")
    async with running_api(api.settings) as (other_replica, _):
        assert (await _login(other_replica, "carlos", PASSWORD)).status_code == 429


async def test_an_expired_token_is_refused(api: Stack) -> None:
    user_id = api.user_ids["carlos"]
    stale = issue_token(
        api.settings.token_signing_key(),
        user_id,
        1,
        timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    response = await api.http.get("/api/v1/me", headers={"Authorization": f"Bearer {stale}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_forged_token_is_refused(api: Stack) -> None:
    forged = issue_token(("k1", "x" * 48), api.user_ids["ada"], 1, timedelta(minutes=5))
    response = await api.http.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_disabling_a_user_revokes_their_tokens_and_logins(api: Stack) -> None:
    carlos = api.user_ids["carlos"]
    await api.call("GET", "/me", "carlos", 200)
    disabled = await api.call("POST", f"/users/{carlos}/disable", "ada", 200)
    assert disabled.json()["active"] is False
    await api.call("GET", "/me", "carlos", 401)
    assert (await _login(api.http, "carlos", PASSWORD)).status_code == 401
    await api.call("POST", f"/users/{carlos}/enable", "ada", 200)
    await api.call("GET", "/me", "carlos", 401)  # the old token stays dead
    assert (await _login(api.http, "carlos", PASSWORD)).status_code == 200


async def test_a_password_change_revokes_older_tokens(api: Stack) -> None:
    old_token = api.tokens["carlos"]
    await api.call(
        "POST",
        "/me/password",
        "carlos",
        204,
        json={"current_password": PASSWORD, "new_password": "a-much-longer-passphrase"},
    )
    response = await api.http.get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"})
    assert response.status_code == 401
    assert (await _login(api.http, "carlos", PASSWORD)).status_code == 401
    assert (await _login(api.http, "carlos", "a-much-longer-passphrase")).status_code == 200


async def test_an_admin_password_reset_revokes_the_users_tokens(api: Stack) -> None:
    carlos = api.user_ids["carlos"]
    reset = {"password": "reset-by-an-admin-1"}
    await api.call("POST", f"/users/{carlos}/password", "ada", 200, json=reset)
    await api.call("GET", "/me", "carlos", 401)
    assert (await _login(api.http, "carlos", "reset-by-an-admin-1")).status_code == 200


async def test_a_token_signed_by_a_retired_key_verifies_until_it_expires(
    settings: Settings,
) -> None:
    old = settings.model_copy(update={"token_key_id": "k2025", "secret_key": "o" * 48})
    async with running_stack(old, with_worker=False) as before:
        await before.add_user("carlos", Role.CLERK)
        token = before.tokens["carlos"]
    rotated = settings.model_copy(
        update={
            "token_key_id": "k2026",
            "secret_key": "n" * 48,
            "token_retired_keys": {"k2025": "o" * 48},
        }
    )
    bearer = {"Authorization": f"Bearer {token}"}
    async with running_api(rotated) as (http, _):
        assert (await http.get("/api/v1/me", headers=bearer)).status_code == 200
        fresh = (await _login(http, "carlos", PASSWORD)).json()["access_token"]
        new_bearer = {"Authorization": f"Bearer {fresh}"}
        assert (await http.get("/api/v1/me", headers=new_bearer)).status_code == 200
    dropped = rotated.model_copy(update={"token_retired_keys": {}})
    async with running_api(dropped) as (http, _):
        assert (await http.get("/api/v1/me", headers=bearer)).status_code == 401


async def test_admins_add_users_and_only_partners_take_a_firm(api: Stack) -> None:
    added = await api.call(
        "POST",
        "/users",
        "ada",
        201,
        json={"username": "quinn", "role": "clerk", "password": "quinn-password-1"},
    )
    assert added.json()["role"] == "clerk"
    await api.call(
        "POST",
        "/users",
        "ada",
        409,
        json={"username": "quinn", "role": "clerk", "password": "quinn-password-1"},
    )
    refused = await api.call(
        "POST",
        "/users",
        "ada",
        422,
        json={"username": "pat", "role": "partner", "password": "pat-password-12"},
    )
    assert "firm_id" in refused.json()["detail"]
    names = [u["username"] for u in (await api.call("GET", "/users", "ada", 200)).json()]
    assert names == ["ada", "carlos", "quinn"]
    actions = [
        e["action"]
        for e in (await api.call("GET", "/audit", "ada", 200)).json()
        if e["object_type"] == "user"
    ]
    assert "user.added" in actions


def test_the_cli_disables_enables_and_resets_users(database_url: str) -> None:
    runner = CliRunner()
    env = {"DOCKETFLOW_DATABASE_URL": database_url, "DOCKETFLOW_ENV": "test"}
    added = runner.invoke(
        cli, ["users", "add", "dana", "--role", "clerk", "--password", "dana-password"], env=env
    )
    assert added.exit_code == 0, added.output
    for command in (["users", "disable", "dana"], ["users", "enable", "dana"]):
        result = runner.invoke(cli, command, env=env)
        assert result.exit_code == 0, result.output
    reset = runner.invoke(cli, ["users", "reset", "dana", "--password", "short"], env=env)
    assert reset.exit_code == 2
    reset = runner.invoke(cli, ["users", "reset", "dana", "--password", "long-enough-1"], env=env)
    assert reset.exit_code == 0, reset.output
    missing = runner.invoke(cli, ["users", "disable", f"ghost-{uuid.uuid4().hex[:6]}"], env=env)
    assert missing.exit_code == 2
    listed = runner.invoke(cli, ["users", "list"], env=env)
    assert "dana\tclerk\t-\tactive" in listed.output
