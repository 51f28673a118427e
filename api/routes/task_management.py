"""Manager tools on tasks: who may be given a task, assign or reassign to a named clerk, bulk
reassign, change priority (one task or many)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.routes.tasks import _audit, _detail, _visible
from api.schemas import AssignIn, Request, TaskDetail, Text
from domain.eligibility import Refusal, refusal
from domain.enums import Priority, Role, TaskStatus
from domain.errors import DomainError, ErrorType
from store.models import Task, User
from store.repositories import task_sla, tasks, users

router = APIRouter(prefix="/tasks", tags=["tasks"])


class BulkReassignIn(Request):
    task_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    assignee: uuid.UUID | str = Field(description="user id or username")
    reason: Text | None = Field(default=None, max_length=2000)
    dry_run: bool = Field(default=False, description="check every item, change nothing")


class BulkItem(BaseModel):
    task_id: uuid.UUID
    result: Literal["reassigned", "would_reassign", "refused"]
    detail: str | None = None


class BulkReassignOut(BaseModel):
    dry_run: bool
    assignee_id: uuid.UUID
    items: list[BulkItem]


class PriorityIn(Request):
    priority: Priority
    reason: Text | None = Field(default=None, max_length=2000)


class BulkPriorityIn(Request):
    task_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    priority: Priority
    reason: Text | None = Field(default=None, max_length=2000)
    dry_run: bool = Field(default=False, description="check every item, change nothing")


class BulkPriorityItem(BaseModel):
    task_id: uuid.UUID
    result: Literal["changed", "would_change", "refused"]
    detail: str | None = None


class BulkPriorityOut(BaseModel):
    dry_run: bool
    items: list[BulkPriorityItem]


class CandidateOut(BaseModel):
    user_id: uuid.UUID
    username: str
    role: str
    held: int = Field(description="tasks this person holds now")
    current: bool = Field(description="holds this task now")


# How many users the eligibility list reads at most (BPO staff: clerks and managers).
MAX_CANDIDATES = 500


async def find_user(session: AsyncSession, ref: uuid.UUID | str) -> User | None:
    if isinstance(ref, uuid.UUID):
        return await users.get(session, ref)
    try:
        return await users.get(session, uuid.UUID(ref))
    except ValueError:
        return await users.get_by_username(session, ref)


async def _assignee(session: AsyncSession, ref: uuid.UUID | str) -> User:
    user = await find_user(session, ref)
    if user is None or not user.active:
        raise HTTPException(status_code=422, detail="assignee: no such active user")
    if user.role not in (Role.CLERK, Role.MANAGER):
        raise HTTPException(status_code=422, detail=f"assignee: a {user.role} does not work tasks")
    if user.availability != "available":
        raise DomainError(
            ErrorType.CONFLICT, f"{user.username} is {user.availability}: pick an available clerk"
        )
    return user


async def _refusal(session: AsyncSession, task: Task, assignee: User) -> Refusal | None:
    """Why `assignee` may not be given `task` (domain.eligibility), or None."""
    if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
        return Refusal(
            ErrorType.CONFLICT, f"task is {task.status}; only open or claimed tasks can be assigned"
        )
    return refusal(await tasks.facts(session, task), users.worker_facts(assignee))


async def _give(
    session: AsyncSession, principal: Principal, task: Task, assignee: User, reason: str | None
) -> bool:
    previous = task.assignee_id
    generation = await tasks.assign(session, task, assignee.id)
    if generation is None:
        return False
    await _audit(
        session,
        principal,
        task,
        "task.assigned",
        assignee_id=str(assignee.id),
        previous_assignee_id=str(previous) if previous else None,
        generation=generation,
        reason=reason,
    )
    # The assignee hears of it (email when they asked for it); ids only, like every alert.
    await task_sla.notify(
        session,
        dedupe_key=f"task:{task.id}:assigned:{generation}",
        kind="task.assigned",
        firm_id=task.firm_id,
        engagement_id=task.engagement_id,
        task_id=task.id,
        recipients=[f"user:{assignee.id}"],
        payload={"step_id": task.step_id, "via": "manager"},
    )
    return True


@router.get("/{task_id}/eligible-assignees", response_model=list[CandidateOut])
async def eligible_assignees(
    task_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_ASSIGN))],
) -> list[CandidateOut]:
    """Who this task may be given to: active, available clerks and managers whom the one rule
    (domain.eligibility: skills, the queue's skill, separation of duties) allows, least loaded
    first. Partners never appear: they take approvals only, by claiming them."""
    task = await _visible(session, task_id, principal)
    facts = await tasks.facts(session, task)
    people = [
        u
        for u in await users.list_all(session, limit=MAX_CANDIDATES)
        if u.active and u.role in (Role.CLERK, Role.MANAGER) and u.availability == "available"
    ]
    allowed = [u for u in people if refusal(facts, users.worker_facts(u)) is None]
    held = {u.id: await tasks.held_count(session, u.id) for u in allowed}
    return sorted(
        (
            CandidateOut(
                user_id=u.id,
                username=u.username,
                role=u.role,
                held=held[u.id],
                current=task.assignee_id == u.id,
            )
            for u in allowed
        ),
        key=lambda c: (c.held, c.username),
    )


@router.post("/{task_id}/assign", response_model=TaskDetail)
async def assign_task(
    task_id: uuid.UUID,
    body: AssignIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_ASSIGN))],
) -> TaskDetail:
    """Assign or reassign to a named, available clerk; the previous holder's claim is fenced."""
    task = await _visible(session, task_id, principal)
    assignee = await _assignee(session, body.assignee)
    refused = await _refusal(session, task, assignee)
    if refused is not None:
        if refused.type in (ErrorType.FORBIDDEN, ErrorType.APPROVER_NOT_ALLOWED):
            # The caller may assign; it is the assignee who does not qualify.
            raise HTTPException(status_code=422, detail=f"assignee: {refused.reason}")
        raise DomainError(refused.type, refused.reason)
    if not await _give(session, principal, task, assignee, body.reason):
        raise HTTPException(status_code=409, detail="the task changed meanwhile; try again")
    return _detail(await _visible(session, task_id, principal))


async def _each_task(
    session: AsyncSession,
    principal: Principal,
    task_ids: list[uuid.UUID],
    dry_run: bool,
    refused: Callable[[Task], Awaitable[str | None]],
    apply: Callable[[Task], Awaitable[bool]],
) -> list[tuple[uuid.UUID, Literal["done", "would", "refused"], str | None]]:
    """A bulk action item by item, once per task in the order given: each item is refused (with
    why), would be done (dry run), done, or refused because it changed while we looked."""
    results: list[tuple[uuid.UUID, Literal["done", "would", "refused"], str | None]] = []
    for task_id in dict.fromkeys(task_ids):
        task = await tasks.get(session, task_id, principal.scope)
        why = "task not found" if task is None else await refused(task)
        if task is None or why is not None:
            results.append((task_id, "refused", why))
        elif dry_run:
            results.append((task_id, "would", None))
        elif await apply(task):
            results.append((task_id, "done", None))
        else:
            results.append((task_id, "refused", "changed meanwhile"))
    return results


@router.post("/bulk-reassign", response_model=BulkReassignOut)
async def bulk_reassign(
    body: BulkReassignIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_ASSIGN))],
) -> BulkReassignOut:
    """Reassign many tasks to one clerk, item by item; `dry_run` reports and changes nothing."""
    assignee = await _assignee(session, body.assignee)

    async def refused(task: Task) -> str | None:
        found = await _refusal(session, task, assignee)
        return None if found is None else found.reason

    async def apply(task: Task) -> bool:
        return await _give(session, principal, task, assignee, body.reason)

    words = {"done": "reassigned", "would": "would_reassign", "refused": "refused"}
    items = [
        BulkItem(task_id=task_id, result=words[outcome], detail=detail)
        for task_id, outcome, detail in await _each_task(
            session, principal, body.task_ids, body.dry_run, refused, apply
        )
    ]
    return BulkReassignOut(dry_run=body.dry_run, assignee_id=assignee.id, items=items)


async def _reprioritise(
    session: AsyncSession,
    principal: Principal,
    task: Task,
    priority: Priority,
    reason: str | None,
    **via: str,
) -> bool:
    """Re-rank a queued task and audit it; False if it is no longer queued."""
    previous = Priority.from_rank(task.priority)
    if not await tasks.set_priority(session, task, priority.rank):
        return False
    await _audit(
        session,
        principal,
        task,
        "task.priority_changed",
        priority=priority,
        previous=previous,
        reason=reason,
        **via,
    )
    return True


@router.post("/{task_id}/priority", response_model=TaskDetail)
async def change_priority(
    task_id: uuid.UUID,
    body: PriorityIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_ASSIGN))],
) -> TaskDetail:
    """Re-rank one queued task (e.g. a breached one) without touching its due time: the SLA
    follows the engagement's priority class under the firm's contract, which
    `POST /engagements/{id}/priority` changes (and recomputes the due times with)."""
    task = await _visible(session, task_id, principal)
    if not await _reprioritise(session, principal, task, body.priority, body.reason):
        raise HTTPException(status_code=409, detail=f"task is {task.status}; it is not queued")
    return _detail(await _visible(session, task_id, principal))


@router.post("/bulk-priority", response_model=BulkPriorityOut)
async def bulk_priority(
    body: BulkPriorityIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TASKS_ASSIGN))],
) -> BulkPriorityOut:
    """Re-rank many queued tasks, item by item; `dry_run` reports and changes nothing."""

    async def refused(task: Task) -> str | None:
        if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
            return f"task is {task.status}; it is not queued"
        return None

    async def apply(task: Task) -> bool:
        return await _reprioritise(session, principal, task, body.priority, body.reason, via="bulk")

    words = {"done": "changed", "would": "would_change", "refused": "refused"}
    items = [
        BulkPriorityItem(task_id=task_id, result=words[outcome], detail=detail)
        for task_id, outcome, detail in await _each_task(
            session, principal, body.task_ids, body.dry_run, refused, apply
        )
    ]
    return BulkPriorityOut(dry_run=body.dry_run, items=items)
