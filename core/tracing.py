"""OpenTelemetry traces across API -> Temporal -> activities, off unless an OTLP endpoint is set.

The API's server span (FastAPI instrumentation) is the parent of the Temporal client's span for a
start or an Update; temporalio's TracingInterceptor carries the context in the workflow's headers,
so the worker's workflow, update-handler and activity spans join the same trace. Span names and
attributes hold ids and route templates only: no payloads (they are encrypted, and hold PHI).
"""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor

from core.settings import Settings


def tracer_provider(settings: Settings, service: str) -> TracerProvider | None:
    """A provider exporting by OTLP/HTTP to `otlp_traces_endpoint`; None when tracing is off."""
    if not settings.otlp_traces_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_traces_endpoint))
    )
    return provider


def temporal_interceptors(provider: TracerProvider | None) -> list[TracingInterceptor]:
    """For `Client.connect(interceptors=...)`; a worker built on that client uses them too."""
    if provider is None:
        return []
    return [TracingInterceptor(tracer=provider.get_tracer("docketflow.temporal"))]
