"""Typed calls from the API into engagement workflows, with Temporal failures mapped to HTTP.

A rejected Update (its validator raised) writes nothing to history and comes back as the
`ApplicationError` type the workflow chose; `domain.errors` maps that type to a status code.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core import metrics
from domain.errors import DomainError, ErrorType
from domain.messages import (
    ENGAGEMENT_WORKFLOW,
    EngagementInput,
    workflow_id_for,
)

R = TypeVar("R", bound=BaseModel)


class TemporalUnavailableError(Exception):
    """Temporal could not be reached: the API answers 503; the same request may be retried."""


class UpdateNotConfirmedError(Exception):
    """The Update reached Temporal but no worker confirmed it in time: it may still be applied
    (when a worker picks it up), so the API answers 202 and points at where to see the outcome,
    never "nothing was changed"."""

    def __init__(self, location: str | None) -> None:
        super().__init__("sent to the workflow engine, not yet confirmed")
        self.location = location


async def start(
    client: Client, params: EngagementInput, task_queue: str, *, rpc_seconds: float
) -> str:
    """Start the engagement's workflow, or find the one already started: the id is derived from
    the engagement's, a running workflow with it is returned as it is (USE_EXISTING) and a closed
    one is never started again (REJECT_DUPLICATE), so any number of retries, concurrent or not,
    make one workflow. The start reconciler (activities/engagement_starts.py) starts reserved
    rows with the same id and policies.

    Raises `TemporalUnavailableError` when Temporal does not confirm within `rpc_seconds`: the
    start may still have happened (an answer lost on the way), so the caller keeps the row."""
    workflow_id = workflow_id_for(params.engagement_id, params.firm_id)
    try:
        await client.start_workflow(
            ENGAGEMENT_WORKFLOW,
            params,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=timedelta(seconds=rpc_seconds),
        )
    except WorkflowAlreadyStartedError:
        pass  # it ran and closed already: it was started
    except RPCError as error:
        raise TemporalUnavailableError(str(error)) from error
    return workflow_id


async def update(
    client: Client,
    workflow_id: str,
    name: str,
    arg: BaseModel,
    result_type: type[R],
    *,
    update_id: str | None,
    rpc_seconds: float,
    pending_location: str | None = None,
) -> R:
    """Run an Update; `pending_location` is where a client sees the outcome if it is not
    confirmed in time (the task or the engagement). Its latency is observed by outcome."""
    started = time.perf_counter()
    outcome = "error"
    try:
        result = await _update(
            client, workflow_id, name, arg, result_type, update_id, rpc_seconds, pending_location
        )
        outcome = "ok"
        return result
    except DomainError:
        outcome = "refused"
        raise
    except UpdateNotConfirmedError:
        outcome = "pending"
        raise
    except TemporalUnavailableError:
        outcome = "unavailable"
        raise
    finally:
        metrics.UPDATE_LATENCY.labels(name, outcome).observe(time.perf_counter() - started)


async def _update(
    client: Client,
    workflow_id: str,
    name: str,
    arg: BaseModel,
    result_type: type[R],
    update_id: str | None,
    rpc_seconds: float,
    pending_location: str | None,
) -> R:
    handle = client.get_workflow_handle(workflow_id)
    try:
        result: Any = await handle.execute_update(
            name,
            arg,
            id=update_id,
            result_type=result_type,
            rpc_timeout=timedelta(seconds=rpc_seconds),
        )
    except WorkflowUpdateFailedError as error:
        raise _as_domain_error(error.cause) from error
    except WorkflowUpdateRPCTimeoutOrCancelledError as error:
        raise UpdateNotConfirmedError(pending_location) from error
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise DomainError(
                ErrorType.ENGAGEMENT_CLOSED, "the engagement is no longer running"
            ) from error
        if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise UpdateNotConfirmedError(pending_location) from error
        raise TemporalUnavailableError(str(error)) from error
    assert isinstance(result, result_type)
    return result


def _as_domain_error(cause: BaseException | None) -> DomainError:
    if isinstance(cause, ApplicationError) and cause.type:
        try:
            return DomainError(ErrorType(cause.type), cause.message)
        except ValueError:
            pass
    return DomainError(ErrorType.CONFLICT, str(cause) if cause else "the update was refused")
