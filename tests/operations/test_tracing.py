"""A clerk's completion is traced from the HTTP request through the workflow Update to the
activity it runs, and tracing is off unless an OTLP endpoint is configured."""

from __future__ import annotations

import asyncio

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core.settings import Settings
from core.tracing import tracer_provider
from domain.enums import Role
from tests.harness import Stack, running_api, running_worker


def _trace_of(spans: tuple[ReadableSpan, ...], name_part: str) -> list[ReadableSpan]:
    (root,) = [s for s in spans if s.parent is None and name_part in s.name]
    assert root.context is not None
    return [
        s for s in spans if s.context is not None and s.context.trace_id == root.context.trace_id
    ]


async def test_a_completion_is_traced_from_http_through_the_update_to_its_activity(
    settings: Settings,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with running_api(settings, provider) as (http, temporal):
        stack = Stack(settings=settings, http=http, temporal=temporal)
        async with running_worker(settings, provider):
            await stack.add_user("maria", Role.MANAGER, ["drafting"])
            await stack.add_user("carlos", Role.CLERK, ["drafting"])
            firm = await stack.create_firm("maria")
            engagement_id = await stack.create_engagement("maria", firm)
            task = await stack.wait_for_task(engagement_id, "draft", "carlos")
            await stack.call("POST", f"/tasks/{task['id']}/claim", "carlos", 200)
            drafted = await stack.draft_output(engagement_id, "carlos")
            exporter.clear()
            await stack.call(
                "POST",
                f"/tasks/{task['id']}/complete",
                "carlos",
                200,
                json={"outcome": "done", "output": drafted},
            )
            await stack.wait_for_task(engagement_id, "qc", "maria")
            await asyncio.sleep(0.5)  # the activity spans after the Update's own

    spans = exporter.get_finished_spans()
    request = _trace_of(spans, "/api/v1/tasks/{task_id}/complete")
    (start_update,) = [s for s in request if s.name == "StartWorkflowUpdate:complete_task"]
    assert start_update.context is not None
    # The workflow side: temporalio's interceptor files the handler under the engagement's
    # workflow trace and links it to the request's span, so a trace viewer follows the link.
    (handler,) = [s for s in spans if s.name == "HandleUpdate:complete_task"]
    assert [link.context.span_id for link in handler.links] == [start_update.context.span_id]
    assert handler.context is not None
    workflow_trace = handler.context.trace_id
    activity = [s for s in spans if s.name == "RunActivity:record_task_completion"]
    assert [a.context.trace_id for a in activity if a.context] == [workflow_trace]
    # Route templates, never a raw path with the task's id.
    assert not any(task["id"] in s.name for s in spans)


def test_tracing_is_off_without_an_endpoint() -> None:
    assert tracer_provider(Settings(env="test"), "docketflow-api") is None
    on = Settings(env="test", otlp_traces_endpoint="http://127.0.0.1:4318/v1/traces")
    provider = tracer_provider(on, "docketflow-api")
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "docketflow-api"
    provider.shutdown()
