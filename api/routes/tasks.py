"""Tasks: the queue a clerk works. Claims live in PostgreSQL; completions go through Temporal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from jsonschema import Draft202012Validator
from sqlalchemy.ext.asyncio import AsyncSession

from api import engagement_client, idempotency
from api.deps import Principal, SessionDep, SessionsDep, SettingsDep, TemporalDep, require
from api.engagement_view import task_sla_state
from api.permissions import Permission
from api.schemas import AssignIn, ClaimNextIn, CompleteIn, Page, TaskDetail, TaskOut
from domain.enums import Priority, Role, TaskStatus
from domain.errors import DomainError, ErrorType
from domain.messages import UPDATE_COMPLETE_TASK, CompleteTaskRequest, CompleteTaskResult
from store.models import Task
from store.repositories import audit, tasks, users
from store.repositories.audit import AuditRecord

router = APIRouter(prefix="/tasks", tags=["tasks"])


def _fields(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "engagement_id": task.engagement_id,
        "firm_id": task.firm_id,
        "step_id": task.step_id,
        "visit": task.visit,
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


def _check_may_work(task: Task, principal: Principal) -> None:
    """Who may take this task at all: skills, separation of duties, attorney gates."""
    if principal.id in task.excluded_user_ids:
        raise DomainError(
            ErrorType.SEPARATION_OF_DUTIES,
            f"separation of duties: you did an earlier step that step {task.step_id!r} checks",
        )
    if task.kind == "approval":
        if principal.role != Role.PARTNER or principal.firm_id != task.firm_id:
            raise DomainError(
                ErrorType.APPROVER_NOT_ALLOWED,
                "only a partner of the engagement's firm may take an approval",
            )
    elif principal.role == Role.PARTNER:
        raise DomainError(ErrorType.FORBIDDEN, "partners take approval tasks only")
    elif task.skill and task.skill not in principal.skills:
        raise DomainError(ErrorType.FORBIDDEN, f"this task needs the skill {task.skill!r}")


async def _audit(
    session: AsyncSession, principal: Principal, task: Task, action: str, **detail: Any
) -> None:
    await audit.record(
        session,
        AuditRecord(
            action=action,
            object_type="task",
            object_id=str(task.id),
            actor_id=principal.id,
            actor_role=principal.role,
            engagement_id=task.engagement_id,
            firm_id=task.firm_id,
            detail=detail,
            request_id=principal.request_id,
            client_addr=principal.client_addr,
        ),
    )


@router.get("", response_model=Page[TaskOut])
async def list_tasks(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_READ))],
    queue: str | None = Query(default=None, max_length=64),
    status: TaskStatus | None = None,
    assignee: str | None = Query(default=None, description="`me` or a user id"),
    firm_id: uuid.UUID | None = None,
    engagement_id: uuid.UUID | None = None,
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
        limit=limit,
        offset=offset,
    )
    return Page(items=[_out(t) for t in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/claim-next",
    response_model=TaskDetail,
    responses={204: {"description": "nothing is eligible for you right now"}},
)
async def claim_next(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
    body: ClaimNextIn | None = None,
) -> Any:
    task = await tasks.claim_next(
        session,
        principal.id,
        list(principal.skills),
        body.queues if body else None,
        approvals_for_firm=principal.firm_id if principal.role == Role.PARTNER else None,
    )
    if task is None:
        return Response(status_code=204)
    await _audit(
        session, principal, task, "task.claimed", via="claim-next", generation=task.generation
    )
    return _detail(task)


@router.get("/{task_id}", response_model=TaskDetail)
async def get_task(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_READ))],
) -> TaskDetail:
    return _detail(await _visible(session, task_id, principal))


@router.post("/{task_id}/claim", response_model=TaskDetail)
async def claim_task(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> TaskDetail:
    task = await _visible(session, task_id, principal)
    _check_may_work(task, principal)
    if task.status == TaskStatus.CLAIMED and task.assignee_id == principal.id:
        return _detail(task)  # claiming what you hold already is a no-op
    if not await tasks.claim(session, task, principal.id):
        raise HTTPException(status_code=409, detail=f"task is {task.status}, not open")
    task = await _visible(session, task_id, principal)
    await _audit(session, principal, task, "task.claimed", via="claim", generation=task.generation)
    return _detail(task)


@router.post("/{task_id}/release", response_model=TaskDetail)
async def release_task(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_WORK))],
) -> TaskDetail:
    task = await _visible(session, task_id, principal)
    if not await tasks.release(session, task, principal.id):
        raise HTTPException(status_code=409, detail="you do not hold this task")
    await _audit(session, principal, task, "task.released", generation=task.generation)
    return _detail(await _visible(session, task_id, principal))


@router.post("/{task_id}/assign", response_model=TaskDetail)
async def assign_task(
    task_id: uuid.UUID,
    body: AssignIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_ASSIGN))],
) -> TaskDetail:
    task = await _visible(session, task_id, principal)
    assignee = await _find_user(session, body.assignee)
    if assignee is None or not assignee.active:
        raise HTTPException(status_code=422, detail="assignee: no such active user")
    if assignee.id in task.excluded_user_ids:
        raise DomainError(
            ErrorType.SEPARATION_OF_DUTIES,
            "separation of duties: the assignee did an earlier step this task checks",
        )
    if task.skill and task.skill not in assignee.skills:
        raise HTTPException(status_code=422, detail=f"assignee lacks the skill {task.skill!r}")
    previous = task.assignee_id
    if not await tasks.assign(session, task, assignee.id):
        raise HTTPException(
            status_code=409,
            detail=f"task is {task.status}; only open or claimed tasks can be assigned",
        )
    await _audit(
        session,
        principal,
        task,
        "task.assigned",
        assignee_id=str(assignee.id),
        previous_assignee_id=str(previous) if previous else None,
        reason=body.reason,
    )
    return _detail(await _visible(session, task_id, principal))


async def _find_user(session: AsyncSession, ref: uuid.UUID | str) -> Any:
    if isinstance(ref, uuid.UUID):
        return await users.get(session, ref)
    try:
        return await users.get(session, uuid.UUID(ref))
    except ValueError:
        return await users.get_by_username(session, ref)


def output_errors(schema: dict[str, Any] | None, output: dict[str, Any]) -> list[dict[str, str]]:
    if not schema:
        return []
    validator = Draft202012Validator(schema)
    return [
        {
            "field": "output" + "".join(f".{p}" for p in error.absolute_path),
            "message": error.message,
        }
        for error in sorted(validator.iter_errors(output), key=lambda e: list(e.absolute_path))
    ]


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
    # Short read, then Temporal, then a fresh read: no transaction stays open across the Update.
    async with sessions() as session:
        task = await _visible(session, task_id, principal)
    if task.status == TaskStatus.COMPLETED and task.completed_by == principal.id:
        return _detail(task)  # a retried completion: the first one already went through
    _check_may_work(task, principal)
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
    errors = output_errors(task.output_schema, body.output)
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise HTTPException(
            status_code=422, detail=f"output does not match the step's schema: {detail}"
        )
    await engagement_client.update(
        temporal,
        str(task.engagement_id),
        UPDATE_COMPLETE_TASK,
        CompleteTaskRequest(
            task_id=str(task.id),
            actor=principal.actor,
            outcome=body.outcome,
            output=body.output,
            note=body.note,
            request_id=principal.request_id,
        ),
        CompleteTaskResult,
        # The same claim generation completing twice is the same completion.
        update_id=idempotency_key or f"complete:{task.id}:{task.generation}",
        rpc_seconds=settings.update_timeout_seconds,
    )
    async with sessions() as session:
        return _detail(await _visible(session, task_id, principal))
