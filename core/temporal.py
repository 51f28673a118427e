"""The one way a process reaches Temporal: the production data converter and a client factory."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.codec import EncryptionCodec, FirmKeySource, KeyRing
from core.settings import Settings


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


async def connect(
    settings: Settings, firm_keys: FirmKeySource | None = None, *, metrics: bool = False
) -> Client:
    """One client per process (made in the API lifespan or the worker's main), never per request.

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
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings, firm_keys),
        runtime=runtime,
    )
