"""Tasks: the queue a clerk works. Claims live in PostgreSQL; completions go through Temporal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api import engagement_client, idempotency
from api.deps import (
    Authorized,
    Principal,
    SessionDep,
    SessionsDep,
    SettingsDep,
    TemporalDep,
    ensure_holds_a_task_of,
    require,
    require_on_session,
)
from api.engagement_view import task_sla_state
from api.permissions import Permission
from api.schema_checks import refuse_unless_valid
from api.schemas import ClaimNextIn, CompleteIn, Page, Request, TaskDetail, TaskOut
from core import metrics
from domain.documents import named_documents
from domain.eligibility import refusal
from domain.enums import Priority, Role, SlaState, TaskStatus
from domain.errors import DomainError, ErrorType
from domain.messages import (
    UPDATE_COMPLETE_TASK,
    CompleteTaskRequest,
    CompleteTaskResult,
    workflow_id_for,
)
from store.models import Task, TaskComment
from store.repositories import audit, documents, tasks

router = APIRouter(prefix="/tasks", tags=["tasks"])


class FenceIn(Request):
    generation: int | None = Field(
        default=None, description="the claim generation you hold; a stale one is refused (409)"
    )


class LeaseOut(BaseModel):
    id: uuid.UUID
    generation: int
    lease_expires_at: datetime | None


class CommentIn(Request):
    body: str = Field(min_length=1, max_length=10000)


class CommentOut(BaseModel):
    id: int
    task_id: uuid.UUID
    author_id: uuid.UUID
    body: str
    created_at: datetime


class TaskWithComments(TaskDetail):
    comments: list[CommentOut]


def _comment(row: TaskComment) -> CommentOut:
    return CommentOut(
        id=row.id,
        task_id=row.task_id,
        author_id=row.author_id,
        body=row.body,
        created_at=row.created_at,
    )


def _fields(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "engagement_id": task.engagement_id,
        "firm_id": task.firm_id,
        "step_id": task.step_id,
        "visit": task.visit,
        "item": task.item,
        "kind": task.kind,
        "title": task.title,
        "queue": task.queue,
        "skill": task.skill,
        "priority": Priority.from_rank(task.priority),
        "status": task.status,
        "assignee_id": task.assignee_id,
        "claimed_at": task.claimed_at,
        "lease_expires_at": task.lease_expires_at,
        "generation": task.generation,
        "escalated": task.escalated,
        "due_at": task.due_at,
        "sla_state": task_sla_state(task, datetime.now(UTC)),
        "created_at": task.created_at,
        "outcome": task.outcome,
        "completed_by": task.completed_by,
        "completed_at": task.completed_at,
    }


def _out(task: Task) -> TaskOut:
    return TaskOut(**_fields(task))


def _detail(task: Task) -> TaskDetail:
    return TaskDetail(
        **_fields(task),
        instructions=task.instructions,
        inputs=task.inputs,
        allowed_outcomes=list(task.outcomes),
        output_schema=task.output_schema,
        output=task.output,
        note=task.note,
    )


async def _visible(session: AsyncSession, task_id: uuid.UUID, principal: Principal) -> Task:
    task = await tasks.get(session, task_id, principal.scope)
    if task is None:
        raise HTTPException(status_code=404, detail="task not found")
    return task


async def ensure_may_work(session: AsyncSession, task: Task, principal: Principal) -> None:
    """Who may take this task at all (domain.eligibility: skills, queue, separation of duties,
    attorney gates)."""
    refused = refusal(await tasks.facts(session, task), principal.worker)
    if refused is not None:
        raise DomainError(refused.type, refused.reason)


async def _audit(
    session: AsyncSession, principal: Principal, task: Task, action: str, **detail: Any
) -> None:
    record = principal.audit_record(
        action,
        "task",
        str(task.id),
        firm_id=task.firm_id,
        engagement_id=task.engagement_id,
        detail=detail,
    )
    await audit.record(session, record)


@router.get("", response_model=Page[TaskOut])
async def list_tasks(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_READ))],
    queue: str | None = Query(default=None, max_length=64),
    status: TaskStatus | None = None,
    assignee: str | None = Query(default=None, description="`me` or a user id"),
    firm_id: uuid.UUID | None = None,
    engagement_id: uuid.UUID | None = None,
    sla_state: SlaState | None = None,
    sort: Literal["queue", "due_at", "-due_at", "created_at", "-created_at", "sla"] = Query(
        default="queue", description="`sla`: breached first, then at risk, then by due time"
    ),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> Page[TaskOut]:
    assignee_id: uuid.UUID | None = None
    if assignee == "me":
        assignee_id = principal.id
    elif assignee is not None:
        try:
            assignee_id = uuid.UUID(assignee)
        except ValueError:
            raise HTTPException(
                status_code=422, detail="assignee must be `me` or a user id"
            ) from None
    rows, total = await tasks.list_visible(
        session,
        principal.scope,
        queue=queue,
        status=status,
        assignee_id=assignee_id,
        firm_id=firm_id,
        engagement_id=engagement_id,
        sla_state=sla_state,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return Page(items=[_out(t) for t in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/claim-next",
    response_model=TaskDetail,
    responses={
        204: {"description": "nothing is eligible for you right now"},
        409: {"description": "your WIP limit, or every asked queue's, is reached"},
    },
)
async def claim_next(
    auth: Annotated[
        Authorized, Depends(require_on_session(Permission.TASKS_WORK), scope="function")
    ],
    body: ClaimNextIn | None = None,
) -> Any:
    """Claim the most urgent task you may work, from the queues asked for (default: all)."""
    principal, session = auth.principal, auth.session
    asked = body.queues if body else None
    claimant = tasks.Claimant(
        user_id=principal.id,
        skills=principal.skills,
        approvals_for_firm=principal.firm_id if principal.role == Role.PARTNER else None,
    )
    record = principal.audit_record("task.claimed", "task", "", detail={"via": "claim-next"})
    # One statement claims and writes its audit entry, on the autocommit connection the caller
    # was just authenticated on: its own transaction, committed before the response is sent, with
    # no BEGIN/COMMIT round trips and no second connection checkout.
    task = await tasks.claim_next(session, claimant, asked, audit=record)
    if task is None:
        refusal = await tasks.wip_refusal(session, principal.id, asked)
        if refusal is not None:
            raise DomainError(ErrorType.CONFLICT, refusal)
        return Response(status_code=204)
    metrics.TASK_CLAIMS.labels(task.queue, "claim-next").inc()
    # The hot path: serialise once, in pydantic's core, instead of FastAPI's validate-then-encode
    # of the response model (same JSON; the model has no aliases).
    return Response(content=_detail(task).model_dump_json(), media_type="application/json")


@router.get("/{task_id}", response_model=TaskWithComments)
async def get_task(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_READ))],
) -> TaskWithComments:
    task = await _visible(session, task_id, principal)
    notes = [_comment(c) for c in await tasks.comments(session, task.id)]
    return TaskWithComments(**_detail(task).model_dump(), comments=notes)


@router.post("/{task_id}/claim", response_model=TaskDetail)
async def claim_task(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> TaskDetail:
    task = await _visible(session, task_id, principal)
    await ensure_may_work(session, task, principal)
    if task.status == TaskStatus.CLAIMED and task.assignee_id == principal.id:
        return _detail(task)  # claiming what you hold already is a no-op
    if task.status == TaskStatus.OPEN:
        refusal = await tasks.wip_refusal(session, principal.id, [task.queue])
        if refusal is not None:
            raise DomainError(ErrorType.CONFLICT, refusal)
    if not await tasks.claim(session, task, principal.id):
        raise HTTPException(status_code=409, detail=f"task is {task.status}, not open")
    task = await _visible(session, task_id, principal)
    await _audit(session, principal, task, "task.claimed", via="claim", generation=task.generation)
    metrics.TASK_CLAIMS.labels(task.queue, "claim").inc()
    return _detail(task)


def _not_held(task: Task, principal: Principal, generation: int | None) -> HTTPException:
    if task.status == TaskStatus.CLAIMED and task.assignee_id == principal.id:
        return HTTPException(
            status_code=409,
            detail=f"your claim (generation {generation}) was superseded "
            f"by generation {task.generation}",
        )
    return HTTPException(
        status_code=409, detail="you do not hold this task (your lease may have expired)"
    )


@router.post("/{task_id}/release", response_model=TaskDetail)
async def release_task(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
    body: FenceIn | None = None,
) -> TaskDetail:
    """Give the task back to its queue."""
    generation = body.generation if body else None
    task = await _visible(session, task_id, principal)
    if not await tasks.release(session, task, principal.id, generation):
        raise _not_held(task, principal, generation)
    await _audit(session, principal, task, "task.released", generation=task.generation)
    metrics.TASK_RELEASES.labels(task.queue).inc()
    return _detail(await _visible(session, task_id, principal))


@router.post("/{task_id}/heartbeat", response_model=LeaseOut)
async def heartbeat(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
    body: FenceIn | None = None,
) -> LeaseOut:
    """Renew your lease on a task you hold (a full lease from now)."""
    generation = body.generation if body else None
    task = await _visible(session, task_id, principal)
    expires = await tasks.renew_lease(session, task.id, principal.id, generation)
    if expires is None:
        raise _not_held(task, principal, generation)
    return LeaseOut(id=task.id, generation=task.generation, lease_expires_at=expires)


@router.post("/{task_id}/comments", status_code=201, response_model=CommentOut)
async def add_comment(
    task_id: uuid.UUID,
    body: CommentIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> CommentOut:
    task = await _visible(session, task_id, principal)
    await ensure_holds_a_task_of(session, principal, task.engagement_id, "comment on tasks")
    comment = await tasks.add_comment(session, task, principal.id, body.body)
    # Working on a task (a note by its holder) renews the holder's lease.
    await tasks.renew_lease(session, task.id, principal.id)
    await _audit(session, principal, task, "task.commented", comment_id=comment.id)
    return _comment(comment)


async def document_errors(session: AsyncSession, task: Task, output: dict[str, Any]) -> list[str]:
    """A `format: document` field must name a live document of the task's own engagement."""
    named = list(named_documents(task.output_schema, output))
    ids: dict[str, uuid.UUID] = {}
    problems = []
    for value in named:
        try:
            ids[value] = uuid.UUID(value)
        except ValueError:
            problems.append(f"{value[:40]!r} is not a document id")
    found = await documents.of_engagement(session, task.engagement_id, ids.values())
    problems += [
        f"document {value} is not a document of this engagement (upload it first)"
        for value, document_id in ids.items()
        if document_id not in found
    ]
    return problems


APPROVAL = "approval"


async def _refuse_unseen_versions(session: AsyncSession, task: Task, claimed_at: datetime) -> None:
    """An approval pins the engagement's documents as they stand when it completes: one uploaded
    after the approver opened the task would be approved unseen (FRCP 11(a): the attorney signs
    what is filed). They look at it first: release, claim again, approve."""
    added = await documents.versions_added_since(session, task.engagement_id, claimed_at)
    if added:
        seen = ", ".join(f"version {number} of {title!r}" for title, number in added[:3])
        raise HTTPException(
            status_code=409,
            detail=f"{seen} arrived after you opened this approval: review it, then release "
            "the task and claim it again to approve",
        )


@router.post("/{task_id}/complete", response_model=TaskDetail)
async def complete_task(
    task_id: uuid.UUID,
    body: CompleteIn,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
    idempotency_key: idempotency.IdempotencyKey = None,
) -> TaskDetail:
    path = f"/tasks/{task_id}/complete"
    if replayed := await idempotency.first_answer(sessions, principal, idempotency_key, path, body):
        return replayed  # type: ignore[return-value]  # FastAPI sends a Response as it is
    # Short read, then Temporal, then a fresh read: no transaction stays open across the Update.
    async with sessions() as session:
        task = await _visible(session, task_id, principal)
        if task.status == TaskStatus.COMPLETED and task.completed_by == principal.id:
            return _detail(task)  # a retried completion: the first one already went through
        await ensure_may_work(session, task, principal)
    if task.status != TaskStatus.CLAIMED or task.assignee_id != principal.id:
        raise HTTPException(status_code=409, detail="you do not hold this task: claim it first")
    if body.generation is not None and body.generation != task.generation:
        raise HTTPException(
            status_code=409,
            detail=f"your claim (generation {body.generation}) was superseded "
            f"by generation {task.generation}",
        )
    if body.outcome not in task.outcomes:
        allowed = ", ".join(task.outcomes)
        raise HTTPException(
            status_code=422,
            detail=f"outcome {body.outcome!r} is not allowed here (allowed: {allowed})",
        )
    await refuse_unless_valid(
        task.output_schema,
        body.output,
        field="output",
        limit_seconds=settings.schema_check_timeout_seconds,
        what="output does not match the step's schema",
    )
    async with sessions() as session:
        if wrong := await document_errors(session, task, body.output):
            raise HTTPException(status_code=422, detail="output: " + "; ".join(wrong[:5]))
        if task.kind == APPROVAL and task.claimed_at is not None:
            await _refuse_unseen_versions(session, task, task.claimed_at)
    # Fence and renew in one statement: a completion from a lost lease stops here, and a full
    # lease from now means the sweeper cannot return the task while the Update is in flight.
    async with sessions.begin() as session:
        if await tasks.renew_lease(session, task.id, principal.id, task.generation) is None:
            raise HTTPException(
                status_code=409, detail="you no longer hold this task (your lease expired)"
            )
    await engagement_client.update(
        temporal,
        # A fan-out item's task belongs to its child run; rows written by hand may lack the id.
        task.workflow_id or workflow_id_for(str(task.engagement_id), str(task.firm_id)),
        UPDATE_COMPLETE_TASK,
        CompleteTaskRequest(
            task_id=str(task.id),
            actor=principal.actor,
            outcome=body.outcome,
            output=body.output,
            note=body.note,
            request_id=principal.request_id,
            generation=task.generation,
        ),
        CompleteTaskResult,
        # The same claim generation completing twice is the same completion.
        update_id=idempotency_key or f"complete:{task.id}:{task.generation}",
        rpc_seconds=settings.update_timeout_seconds,
        pending_location=f"/api/v1/tasks/{task.id}",
    )
    metrics.TASK_COMPLETIONS.labels(task.queue, body.outcome).inc()
    async with sessions() as session:
        completed = _detail(await _visible(session, task_id, principal))
    await idempotency.keep_answer(sessions, principal, idempotency_key, path, body, completed)
    return completed
