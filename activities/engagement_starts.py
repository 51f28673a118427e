"""The start reconciler: engagement rows a create reserved but whose workflow start nobody
confirmed (the API's wait for Temporal ran out, the API was killed mid-request, and the client did
not retry with its Idempotency-Key).

For each such row past a grace period: if Temporal has the workflow (the start happened, only its
answer was lost), the row is marked started; if not, the workflow is started from the input stored
with the row, then the row is marked started. Whoever confirms a row first (this, or the create or
its retry in the API) writes its one `engagement.created` audit entry.

Why start the workflow rather than remove the row:
- The row holds the workflow's whole input as the create built it (the template snapshot after the
  firm's SLA contract, the firm's calendar, the inputs, the court deadline, the settings), so the
  start is exactly the one the request meant, not a rebuild from today's firm and template.
- The create's 503 told the client that the engagement may exist and is created at most once.
  Finishing it keeps that whatever the client does next; removing it would turn that "maybe" into
  a "no" after the fact, while a start that did reach Temporal could never be removed anyway.
- Starting converges with a client's retry racing it (same workflow id, the running workflow is
  returned, a closed one never restarted: one workflow). Removing races it: a retry could start
  the workflow just as the row goes, leaving a workflow whose activities reference no row.

Idempotent: a second run finds the confirmed rows no longer unconfirmed; the start returns the
existing workflow; the audit entry carries a dedupe key.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import structlog
from pydantic import ValidationError
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.housekeeping import ACT_RECONCILE_STARTS, ReconcileStartsInput, ReconcileStartsResult
from domain.messages import ENGAGEMENT_WORKFLOW, EngagementInput
from store.db import SessionFactory
from store.models import Engagement
from store.repositories import audit, engagements
from store.repositories.audit import AuditRecord

log = structlog.get_logger(__name__)

# Temporal itself is not answering: the rest of the batch would wait as long, each; the next run
# tries again.
_ENGINE_DOWN = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)


class EngagementStartActivities:
    """`task_queue` is the worker's own: the API and the workers share DOCKETFLOW_TASK_QUEUE, the
    queue the create would have started the engagement on."""

    def __init__(
        self, sessions: SessionFactory, client: Client, task_queue: str, rpc_seconds: float = 10.0
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._task_queue = task_queue
        self._rpc_timeout = timedelta(seconds=rpc_seconds)

    async def reconcile(self, grace: timedelta, batch: int = 100) -> ReconcileStartsResult:
        """Confirm or start every reserved row older than `grace` (oldest first, up to `batch`)."""
        async with self._sessions() as session:
            rows = await engagements.unconfirmed(session, older_than=grace, limit=batch)
        result = ReconcileStartsResult()
        for row in rows:
            row_log = log.bind(engagement_id=str(row.id), workflow_id=row.workflow_id)
            try:
                found = await self._exists(row.workflow_id)
                if not found:
                    await self._start(row)
            except ValidationError as error:
                # Only if the input model changed incompatibly since the row was written.
                row_log.error("engagement.start_input_unreadable", error=str(error))
                result.failed += 1
                continue
            except RPCError as error:
                row_log.warning("engagement.start_unconfirmed", status=error.status.name)
                result.failed += 1
                if error.status in _ENGINE_DOWN:
                    break
                continue
            await self._confirm(row, found)
            if found:
                result.confirmed += 1
            else:
                result.started += 1
            if len(result.engagement_ids) < 100:
                result.engagement_ids.append(str(row.id))
        if rows:
            log.info(
                "engagement.starts_reconciled",
                confirmed=result.confirmed,
                started=result.started,
                failed=result.failed,
            )
        return result

    async def _exists(self, workflow_id: str) -> bool:
        """Whether Temporal has (or had, closed, within its retention) this workflow."""
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            await handle.describe(rpc_timeout=self._rpc_timeout)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def _start(self, row: Engagement) -> None:
        # The id and policies of api.engagement_client.start (activities may not import the api):
        # a create retried at the same moment gets this same workflow, never a second one.
        params = EngagementInput.model_validate(row.start_input)
        # Already started and closed in the meantime: it was started, nothing to do.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                ENGAGEMENT_WORKFLOW,
                params,
                id=row.workflow_id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                rpc_timeout=self._rpc_timeout,
            )
        log.info("engagement.start_recovered", engagement_id=str(row.id))

    async def _confirm(self, row: Engagement, found: bool) -> None:
        async with self._sessions.begin() as session:
            if not await engagements.confirm_started(session, row.id):
                return  # the API's create or its retry confirmed it (and audited it) first
            await audit.record(
                session,
                AuditRecord(
                    action="engagement.created",
                    object_type="engagement",
                    object_id=str(row.id),
                    # The creator asked for it; their role then is not on the row.
                    actor_id=row.created_by,
                    engagement_id=row.id,
                    firm_id=row.firm_id,
                    detail={
                        "template": row.template_key,
                        "version": row.template_version,
                        "priority": row.priority,
                        "confirmed_by": "start-reconciler",
                        "workflow": "found" if found else "started",
                    },
                    dedupe_key=engagements.created_audit_key(row.id),
                ),
            )

    @activity.defn(name=ACT_RECONCILE_STARTS)
    async def reconcile_engagement_starts(
        self, params: ReconcileStartsInput
    ) -> ReconcileStartsResult:
        return await self.reconcile(timedelta(seconds=params.grace_seconds), params.batch)
