"""The worker process: builds activities with their dependencies, runs the engagement workflow."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.automated_steps import automated_step_activities
from activities.document_steps import DocumentSteps
from activities.efiling import EfilingActivities, SandboxCourt
from activities.email_alerts import smtp_mailer
from activities.engagement_starts import EngagementStartActivities
from activities.leases import LeaseActivities
from activities.notifications import EmailChannel, NotificationActivities, webhook_sender
from activities.production_steps import ProductionSteps
from activities.read_model import ReadModelActivities
from activities.sla_clocks import SlaActivities
from core import metrics
from core.settings import Settings
from core.temporal import connect
from core.tracing import tracer_provider
from store.db import SessionFactory, make_engine, make_session_factory
from store.document_vault import DocumentVault, blob_store
from store.key_store import FirmKeyStore, firm_key_store
from workers.audit_chainer import HeadSigning, chaining
from workers.schedules import ensure_housekeeping_schedules
from workflows.engagement import EngagementWorkflow
from workflows.housekeeping import (
    LeaseSweeperWorkflow,
    NotificationDispatcherWorkflow,
    StartReconcilerWorkflow,
)

log = structlog.get_logger(__name__)

WORKFLOWS = [
    EngagementWorkflow,
    LeaseSweeperWorkflow,
    NotificationDispatcherWorkflow,
    StartReconcilerWorkflow,
]

# Pure modules the workflows use, loaded once outside the sandbox (`sla` with its statutory holiday
# calendars, read once per process). `structlog`: workflow.logger's records are rendered by
# structlog's formatter in the workflow's thread; its lazy imports must not be re-run under the
# sandbox's import hook.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "domain",
        "sla",
        "pydantic",
        "jsonschema",
        "structlog",
        "opentelemetry",  # the tracing interceptor's workflow spans (core/tracing.py)
    )
)


def build_worker(
    client: Client,
    sessions: SessionFactory,
    task_queue: str,
    max_cached_workflows: int = 2000,
    *,
    settings: Settings,
    keys: FirmKeyStore | None = None,
) -> Worker:
    """``keys``: the firm key store the client's codec uses; the document vault shares it, so a
    key shredded or rotated here is dropped from one cache, not two."""
    mailer = smtp_mailer(settings)
    alerts = NotificationActivities(
        sessions,
        webhook_sender(settings),
        settings.notify_retry_base_seconds,
        EmailChannel(mailer, settings.public_url, settings.digest_hour_utc) if mailer else None,
    )
    read_model = ReadModelActivities(sessions)
    sla_clocks = SlaActivities(sessions)
    # Steps that read and write the engagement's documents (sealed with the firm's keys).
    vault = DocumentVault(blob_store(settings), keys or firm_key_store(settings, sessions))
    document_steps = DocumentSteps(sessions, vault)
    efiling = EfilingActivities(SandboxCourt(), document_steps)
    production = ProductionSteps(document_steps)
    starts = EngagementStartActivities(sessions, client, task_queue, settings.start_timeout_seconds)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        workflow_runner=WORKFLOW_RUNNER,
        activities=[
            *read_model.all(),
            *sla_clocks.all(),
            efiling.efile_submit,
            document_steps.redaction_scan,
            document_steps.filing_redaction_scan,
            document_steps.exhibit_stamp,
            document_steps.invoice_generate,
            production.production_volume,
            *automated_step_activities(
                replaced={"redaction_scan", "efile_submit", "exhibit_stamp", "invoice_generate"}
            ),
            LeaseActivities(sessions).expire_leases,
            alerts.deliver_notifications,
            starts.reconcile_engagement_starts,
        ],
        max_concurrent_activities=50,
        # Engagements live for weeks with an open clock each: keep them cached (~0.3 MB each,
        # measured by bench/sla_timers.py) rather than replaying histories on every timer.
        max_cached_workflows=max_cached_workflows,
        # On SIGTERM, let running activities finish (compose allows 60 s before SIGKILL).
        graceful_shutdown_timeout=timedelta(seconds=45),
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then let in-flight tasks finish (graceful shutdown)."""
    engine = make_engine(settings.database_url, limits=settings.database_limits)
    sessions = make_session_factory(engine)
    tracing = tracer_provider(settings, "docketflow-worker")
    keys = firm_key_store(settings, sessions)
    client = await connect(settings, keys, metrics=True, tracing=tracing)
    worker = build_worker(
        client,
        sessions,
        settings.task_queue,
        settings.worker_cached_workflows,
        settings=settings,
        keys=keys,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await ensure_housekeeping_schedules(client, settings.task_queue)
    if settings.worker_app_metrics_address:
        metrics.serve(settings.worker_app_metrics_address)
    log.info("worker.started", task_queue=settings.task_queue, temporal=settings.temporal_address)
    async with worker, chaining(sessions, signing=HeadSigning.from_settings(settings)):
        await stop.wait()
    await engine.dispose()
    if tracing is not None:
        tracing.shutdown()
    log.info("worker.stopped")
