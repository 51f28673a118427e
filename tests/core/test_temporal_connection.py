"""Temporal transport security: TLS, mutual TLS and API keys from settings, in every process."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from api.app import create_app
from core.settings import Settings
from core.temporal import connect_options, tls_config


def test_plaintext_is_the_default_for_the_dev_server() -> None:
    assert connect_options(Settings(env="test")) == {
        "namespace": "default",
        "tls": False,
        "api_key": None,
    }


def test_an_api_key_turns_tls_on_with_the_system_roots() -> None:
    settings = Settings(env="test", temporal_api_key="cloud-key", temporal_namespace="acme.a1b2")
    assert connect_options(settings) == {
        "namespace": "acme.a1b2",
        "tls": True,
        "api_key": "cloud-key",
    }


def test_a_private_ca_and_client_certificate_make_mutual_tls(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_bytes(b"CA PEM")
    (tmp_path / "client.pem").write_bytes(b"CERT PEM")
    (tmp_path / "client.key").write_bytes(b"KEY PEM")
    settings = Settings(
        env="test",
        temporal_tls_ca_file=tmp_path / "ca.pem",
        temporal_tls_cert_file=tmp_path / "client.pem",
        temporal_tls_key_file=tmp_path / "client.key",
        temporal_tls_server_name="temporal.internal",
    )
    assert tls_config(settings) == TLSConfig(
        server_root_ca_cert=b"CA PEM",
        domain="temporal.internal",
        client_cert=b"CERT PEM",
        client_private_key=b"KEY PEM",
    )


def test_a_client_certificate_without_its_key_is_refused_at_startup(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="go together"):
        Settings(env="test", temporal_tls_cert_file=tmp_path / "client.pem")


def test_empty_variables_from_compose_mean_unset() -> None:
    settings = Settings(env="test", temporal_api_key="", temporal_tls_ca_file="")
    assert tls_config(settings) is False


async def test_the_api_client_carries_the_tls_and_api_key_options() -> None:
    settings = Settings(env="test", temporal_api_key="cloud-key")
    app = create_app(settings)
    async with app.router.lifespan_context(app):  # lazy: nothing is dialled yet
        client = app.state.temporal
        assert client.api_key == "cloud-key"
        assert client.service_client.config.tls is True


async def test_the_worker_dials_temporal_with_tls_when_told_to(settings: Settings) -> None:
    """Against the plaintext dev server, a worker told to use TLS fails its handshake: the
    option reaches the worker's connection (a plaintext one connects: test_worker_metrics)."""
    env = {
        **os.environ,
        "DOCKETFLOW_DATABASE_URL": settings.database_url,
        "DOCKETFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
        "DOCKETFLOW_TASK_QUEUE": settings.task_queue,
        "DOCKETFLOW_ENV": "test",
        "DOCKETFLOW_LOG_JSON": "false",
        "DOCKETFLOW_TEMPORAL_TLS": "true",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(worker.communicate(), timeout=60)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert worker.returncode != 0
    # rustls read the plaintext server's HTTP/2 frames as a TLS record of no known content type.
    text = output.decode(errors="replace")
    assert "InvalidContentType" in text, text[-2000:]
