"""The one way a process reaches Temporal: the production data converter and a client factory."""

from __future__ import annotations

import dataclasses
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import TLSConfig

from core.codec import EncryptionCodec, FirmKeySource, KeyRing
from core.settings import Settings
from core.tracing import temporal_interceptors


def key_ring(settings: Settings | None) -> KeyRing:
    """The settings' data keys; the public development ring when none are configured (not prod)."""
    if settings is None or not settings.codec_keys:
        return KeyRing.development()
    return KeyRing.unwrap(settings.codec_master_key, settings.codec_keys, settings.codec_key_id)


def data_converter(
    settings: Settings | None = None, firm_keys: FirmKeySource | None = None
) -> DataConverter:
    """Pydantic models on the wire, every payload encrypted (core/codec.py), failure messages and
    stack traces moved into the encrypted attributes. With `firm_keys`, engagement payloads use
    their firm's key; without settings it holds the development keys only. Replay tests use
    this converter (their recorded histories are kept under the development key)."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(
            key_ring(settings),
            firm_keys,
            allow_plaintext=settings is None or settings.env != "prod",
        ),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def tls_config(settings: Settings) -> TLSConfig | bool:
    """What `Client.connect(tls=...)` needs: False (plaintext, the dev server), True (TLS with the
    system roots) or a TLSConfig for a private CA, a server name or a client certificate (mTLS).
    The files are read once, at connect; a rotated certificate takes a restart."""
    wants_tls = (
        settings.temporal_tls
        or settings.temporal_api_key is not None
        or settings.temporal_tls_cert_file is not None
        or settings.temporal_tls_ca_file is not None
    )
    if not wants_tls:
        return False
    files = (
        settings.temporal_tls_ca_file,
        settings.temporal_tls_cert_file,
        settings.temporal_tls_key_file,
    )
    if all(path is None for path in files) and settings.temporal_tls_server_name is None:
        return True
    ca, cert, key = (path.read_bytes() if path else None for path in files)
    return TLSConfig(
        server_root_ca_cert=ca,
        domain=settings.temporal_tls_server_name,
        client_cert=cert,
        client_private_key=key,
    )


def connect_options(settings: Settings) -> dict[str, Any]:
    """The transport keyword arguments of `Client.connect`, the same for API, worker and CLI."""
    return {
        "namespace": settings.temporal_namespace,
        "tls": tls_config(settings),
        "api_key": settings.temporal_api_key,
    }


async def connect(
    settings: Settings,
    firm_keys: FirmKeySource | None = None,
    *,
    metrics: bool = False,
    lazy: bool = False,
    tracing: TracerProvider | None = None,
) -> Client:
    """One client per process (made in the API lifespan or the worker's main), never per request.
    `lazy`: connect on first use (the API starts, and /readyz reports, while Temporal is down).
    `tracing`: spans for every start, Update and activity (core/tracing.py).

    With `metrics` and `worker_metrics_address` set, the SDK serves its Prometheus metrics there,
    among them `temporal_workflow_task_execution_failed` (a workflow task failing on every retry
    is otherwise invisible but in `temporal workflow describe`)."""
    runtime = None
    if metrics and settings.worker_metrics_address:
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=settings.worker_metrics_address)
            )
        )
    return await Client.connect(
        settings.temporal_address,
        **connect_options(settings),
        data_converter=data_converter(settings, firm_keys),
        runtime=runtime,
        lazy=lazy,
        interceptors=temporal_interceptors(tracing),
    )
