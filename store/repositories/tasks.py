"""Task rows: queue claims, leases, releases, assignment, comments and completion.

Claims never touch Temporal. claim-next probes the partial index `ix_tasks_open_queue_urgency` (open
rows only, in serving order) once per queue with `LATERAL … LIMIT 1 FOR UPDATE SKIP LOCKED`, so its
cost grows neither with the history in the table nor with the number of open tasks, and two clerks
never get the same row.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from sqlalchemy import case, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.eligibility import TaskFacts
from domain.enums import TaskStatus
from store.models import Queue, Task, TaskComment, User
from store.repositories.audit import AuditRecord
from store.scope import Scope

DEFAULT_LEASE_MINUTES = 30

_LEASE = (
    "now() + make_interval(mins => COALESCE("
    f"(SELECT q.lease_minutes FROM queues q WHERE q.name = tasks.queue), {DEFAULT_LEASE_MINUTES}))"
)

# A full lease from now, for every path that hands a task to someone (claims, assignments).
LEASE_FROM_NOW = _LEASE

# Queues this clerk may take work from now: asked for (NULL = all), required skill held, queue
# under its WIP limit, and the clerk under theirs. The WIP counts read the small partial index of
# claimed rows; `wip_limit IS NULL OR …` skips the count when there is no limit.
_ELIGIBLE_QUEUES = """
    me AS (SELECT u.wip_limit FROM users u WHERE u.id = CAST(:user_id AS uuid)),
    eligible_queues AS (
        SELECT q.name
        FROM queues q CROSS JOIN me
        WHERE (CAST(:queues AS text[]) IS NULL OR q.name = ANY(CAST(:queues AS text[])))
          AND (q.required_skill IS NULL OR q.required_skill = ANY(CAST(:skills AS text[])))
          AND (q.wip_limit IS NULL OR q.wip_limit > (
                SELECT count(*) FROM tasks w WHERE w.status = 'claimed' AND w.queue = q.name))
          AND (me.wip_limit IS NULL OR me.wip_limit > (
                SELECT count(*) FROM tasks h
                WHERE h.assignee_id = CAST(:user_id AS uuid) AND h.status = 'claimed'))
    )"""

# Row eligibility inside one queue: skill, separation of duties, attorney gates.
_ELIGIBLE_ROW = """
    t.status = 'open'
    AND t.queue = q.name
    AND (t.skill IS NULL OR t.skill = ANY(CAST(:skills AS text[])))
    AND NOT (CAST(:user_id AS uuid) = ANY(t.excluded_user_ids))
    -- not straight back to whoever just sent it back (they may still open it by hand)
    AND t.released_by IS DISTINCT FROM CAST(:user_id AS uuid)
    -- approval tasks go to partners of their firm only; everyone else never sees them
    AND CASE WHEN CAST(:approvals_for_firm AS uuid) IS NULL THEN t.kind <> 'approval'
             ELSE t.kind = 'approval' AND t.firm_id = CAST(:approvals_for_firm AS uuid)
        END"""

# Serving order, SLA urgency first: the task that reaches its warning point soonest (`warn_at`,
# the SLA clock's instant at a fraction of the task's span, so time left is weighed against the
# step's target rather than in absolute hours; the due time when a task has no warning point),
# then priority, then the oldest. Matches `ix_tasks_open_queue_urgency` (migration 0019).
# Priority alone served a high task due in 17 h before a normal one due in 2 minutes; priority
# still counts twice: it shortens the SLA (the policy's priority factor) and breaks ties.
_URGENCY_T = "COALESCE(t.warn_at, t.due_at)"
_BY_T = f"{_URGENCY_T} NULLS LAST, t.priority, t.created_at"
_BY_C = "c.urgent_at NULLS LAST, c.priority, c.created_at"

_TAKE = f"""
    UPDATE tasks
    SET status = 'claimed', assignee_id = CAST(:user_id AS uuid), claimed_at = now(),
        lease_expires_at = {_LEASE}, generation = tasks.generation + 1, released_by = NULL
    FROM picked
    WHERE tasks.id = picked.id
    RETURNING tasks.*"""

# Measured alternative (see claim_next). Phase 1 reads (locks nothing) the first `fanout` open
# rows of each eligible queue and keeps the best `window` overall; phase 2 locks the first of those
# still open, skipping rows another claim holds. Rows claimed and committed since the statement's
# snapshot are re-checked against their newest version by the lock and dropped (not open).
_CLAIM_WINDOW = text(
    f"""
    WITH {_ELIGIBLE_QUEUES},
    candidate AS (
        SELECT c.id, c.priority, c.urgent_at, c.created_at
        FROM eligible_queues q
        CROSS JOIN LATERAL (
            SELECT t.id, t.priority, {_URGENCY_T} AS urgent_at, t.created_at
            FROM tasks t
            WHERE {_ELIGIBLE_ROW}
            ORDER BY {_BY_T}
            LIMIT CAST(:fanout AS int)
        ) c
        ORDER BY {_BY_C}
        LIMIT CAST(:window AS int)
    ),
    picked AS (
        SELECT t.id
        FROM candidate c JOIN tasks t ON t.id = c.id
        WHERE t.status = 'open'
        ORDER BY {_BY_C}
        LIMIT 1
        FOR UPDATE OF t SKIP LOCKED
    )
    {_TAKE}
    """
)

# One locking probe per queue: locked rows are skipped inside the index scan, so each probe finds
# its queue's first row no other claim holds.
_CLAIM_LOCKING = text(
    f"""
    WITH {_ELIGIBLE_QUEUES},
    picked AS (
        SELECT c.id
        FROM eligible_queues q
        CROSS JOIN LATERAL (
            SELECT t.id, t.priority, {_URGENCY_T} AS urgent_at, t.created_at
            FROM tasks t
            WHERE {_ELIGIBLE_ROW}
            ORDER BY {_BY_T}
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ) c
        ORDER BY {_BY_C}
        LIMIT 1
    )
    {_TAKE}
    """
)

# The design the issue measures against: one query over all asked queues, sorted as a whole.
CLAIM_NAIVE = text(
    f"""
    WITH picked AS (
        SELECT t.id FROM tasks t
        WHERE t.status = 'open' AND t.queue = ANY(CAST(:queues AS text[]))
          AND (t.skill IS NULL OR t.skill = ANY(CAST(:skills AS text[])))
          AND NOT (CAST(:user_id AS uuid) = ANY(t.excluded_user_ids))
          AND t.kind <> 'approval'
        ORDER BY {_BY_T}
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    {_TAKE}
    """
)

#: How many rows per queue, and overall, the window alternative considers before falling back.
CLAIM_FANOUT = 4
CLAIM_WINDOW = 64


async def ensure_queue(session: AsyncSession, name: str) -> None:
    await session.execute(insert(Queue).values(name=name).on_conflict_do_nothing())


async def all_queue_names(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Queue.name).order_by(Queue.name))).scalars())


async def insert_task(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert once: a retried activity finds the row (same id, or same engagement/step/visit)."""
    await ensure_queue(session, values["queue"])
    result = await session.execute(
        insert(Task).values(**values).on_conflict_do_nothing().returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def get(session: AsyncSession, task_id: uuid.UUID, scope: Scope) -> Task | None:
    query = select(Task).where(
        Task.id == task_id, scope.filter(Task.firm_id), scope.engagements(Task.engagement_id)
    )
    return (
        await session.execute(query.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def facts(session: AsyncSession, task: Task) -> TaskFacts:
    """The task as domain.eligibility reads it, with its queue's required skill."""
    queue_skill = (
        await session.execute(select(Queue.required_skill).where(Queue.name == task.queue))
    ).scalar_one_or_none()
    return TaskFacts(
        kind=task.kind,
        firm_id=str(task.firm_id),
        skill=task.skill,
        excluded_user_ids=frozenset(str(u) for u in task.excluded_user_ids),
        queue_skill=queue_skill,
    )


async def get_for_update(session: AsyncSession, task_id: uuid.UUID, scope: Scope) -> Task | None:
    query = select(Task).where(
        Task.id == task_id, scope.filter(Task.firm_id), scope.engagements(Task.engagement_id)
    )
    query = query.with_for_update(of=Task)
    return (
        await session.execute(query.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def list_visible(
    session: AsyncSession,
    scope: Scope,
    *,
    queue: str | None = None,
    status: str | None = None,
    assignee_id: uuid.UUID | None = None,
    firm_id: uuid.UUID | None = None,
    engagement_id: uuid.UUID | None = None,
    sla_state: str | None = None,
    sort: str = "queue",
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Task], int]:
    where = [scope.filter(Task.firm_id), scope.engagements(Task.engagement_id)]
    if sla_state is not None:
        where.append(Task.sla_state == sla_state)
    if queue is not None:
        where.append(Task.queue == queue)
    if status is not None:
        where.append(Task.status == status)
    if assignee_id is not None:
        where.append(Task.assignee_id == assignee_id)
    if firm_id is not None:
        where.append(Task.firm_id == firm_id)
    if engagement_id is not None:
        where.append(Task.engagement_id == engagement_id)
    total = (
        await session.execute(select(func.count()).select_from(Task).where(*where))
    ).scalar_one()
    query = select(Task).where(*where).order_by(*_SORTS[sort], Task.id).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all(), int(total)


_SLA_URGENCY = case((Task.sla_state == "breached", 0), (Task.sla_state == "at_risk", 1), else_=2)
# The orders GET /tasks offers; "queue" is by priority first (claim-next serves by SLA urgency).
_SORTS: dict[str, tuple[Any, ...]] = {
    "queue": (Task.priority, Task.due_at.asc().nulls_last(), Task.created_at),
    "due_at": (Task.due_at.asc().nulls_last(), Task.priority),
    "-due_at": (Task.due_at.desc().nulls_last(), Task.priority),
    "created_at": (Task.created_at,),
    "-created_at": (Task.created_at.desc(),),
    "sla": (_SLA_URGENCY, Task.due_at.asc().nulls_last(), Task.priority),
}
SORTS = tuple(_SORTS)


async def for_engagement(session: AsyncSession, engagement_id: uuid.UUID) -> Sequence[Task]:
    query = select(Task).where(Task.engagement_id == engagement_id).order_by(Task.created_at)
    return (await session.execute(query)).scalars().all()


@dataclass(frozen=True)
class Claimant:
    """Who is claiming, with what they may take."""

    user_id: uuid.UUID
    skills: Sequence[str]
    # Partners take the approval tasks of their own firm, and nothing else.
    approvals_for_firm: uuid.UUID | None = None


def _claim_params(claimant: Claimant, queues: Sequence[str] | None) -> dict[str, Any]:
    return {
        "queues": list(queues) if queues else None,
        "skills": list(claimant.skills),
        "user_id": str(claimant.user_id),
        "approvals_for_firm": (
            str(claimant.approvals_for_firm) if claimant.approvals_for_firm else None
        ),
        "fanout": CLAIM_FANOUT,
        "window": CLAIM_WINDOW,
    }


def _psycopg(statement: str) -> str:
    """A `text()` statement's `:name` parameters as psycopg's `%(name)s` (same SQL otherwise)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", statement)


async def _driver(session: AsyncSession) -> AsyncConnection[Any]:
    """The session's own psycopg connection, inside the session's transaction (if any)."""
    raw = await (await session.connection()).get_raw_connection()
    driver: AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    return driver


async def _take(session: AsyncSession, statement: str, params: dict[str, Any]) -> Task | None:
    # The hot path runs on psycopg directly: SQLAlchemy's statement and result layers cost more
    # client CPU than the claim costs the server (bench/README.md, "Claims"). psycopg prepares the
    # statement on first use (`prepare=True`). The Task is built from the RETURNING row and is
    # transient (detached): callers read it; a later `get` in the same session loads it fresh.
    cursor = (await _driver(session)).cursor(row_factory=dict_row)
    await cursor.execute(statement, params, prepare=True)
    row = await cursor.fetchone()
    return None if row is None else Task(**row)


# The claim and its audit entry in one statement: a data-modifying CTE appends the entry for the
# row the claim took (the hash-chain trigger of migration 0003 fills prev_hash/hash). One round
# trip, and under autocommit the chain's lock is held only inside the server, never across the
# client's work between statements.
_AUDIT_CLAIM = """,
    claimed AS ({take}),
    logged AS (
        INSERT INTO audit_log (action, object_type, object_id, actor_id, actor_role,
            engagement_id, firm_id, detail, request_id, client_addr)
        SELECT CAST(:audit_action AS text), 'task', CAST(claimed.id AS text),
            CAST(:audit_actor_id AS uuid), CAST(:audit_actor_role AS text), claimed.engagement_id,
            claimed.firm_id,
            CAST(:audit_detail AS jsonb) || jsonb_build_object('generation', claimed.generation),
            CAST(:audit_request_id AS text), CAST(:audit_client_addr AS text)
        FROM claimed
    )
    SELECT * FROM claimed"""


def _audited(statement: str) -> str:
    head, take = statement.split("UPDATE tasks\n", 1)
    return head.rstrip() + _AUDIT_CLAIM.format(take="UPDATE tasks\n" + take)


_PG_CLAIM_LOCKING = _psycopg(_CLAIM_LOCKING.text)
_PG_CLAIM_LOCKING_AUDITED = _psycopg(_audited(_CLAIM_LOCKING.text))
_PG_CLAIM_WINDOW = _psycopg(_CLAIM_WINDOW.text)
_PG_CLAIM_NAIVE = _psycopg(CLAIM_NAIVE.text)


def _audit_params(record: AuditRecord) -> dict[str, Any]:
    return {
        "audit_action": record.action,
        "audit_actor_id": str(record.actor_id) if record.actor_id else None,
        "audit_actor_role": str(record.actor_role) if record.actor_role else None,
        "audit_detail": json.dumps(record.detail, default=str),
        "audit_request_id": record.request_id,
        "audit_client_addr": record.client_addr,
    }


async def claim_next(
    session: AsyncSession,
    claimant: Claimant,
    queues: Sequence[str] | None = None,
    *,
    audit: AuditRecord | None = None,
) -> Task | None:
    """Claim the best eligible open task of `queues` (None: every queue), or None.

    With `audit`, the same statement appends its audit entry: action, actor, role, request id and
    client address come from `audit`; object id, firm and engagement from the claimed row; the
    claim's generation is added to `audit.detail`. Nothing is written when nothing is claimed.

    One locking index probe per queue, then the best of those heads. The heads not chosen stay
    locked until this short transaction commits (other clerks skip to the next row of that
    queue). A lock-free alternative (read candidates, lock one: `claim_next_window`) was measured
    in bench/claims.py and was slower: 1.7 ms against 1.0 ms server time per claim at 1M rows,
    and no better with 32 clerks.
    """
    params = _claim_params(claimant, queues)
    if audit is None:
        return await _take(session, _PG_CLAIM_LOCKING, params)
    return await _take(session, _PG_CLAIM_LOCKING_AUDITED, params | _audit_params(audit))


async def claim_next_window(
    session: AsyncSession, claimant: Claimant, queues: Sequence[str] | None = None
) -> Task | None:
    """The measured alternative: lock-free candidate window, then the exact probe if it ran dry."""
    params = _claim_params(claimant, queues)
    task = await _take(session, _PG_CLAIM_WINDOW, params)
    if task is None:
        task = await _take(session, _PG_CLAIM_LOCKING, params)
    return task


async def claim_next_naive(
    session: AsyncSession, claimant: Claimant, queues: Sequence[str]
) -> Task | None:
    """The single-sort design the benchmark compares against; not used by the API."""
    return await _take(session, _PG_CLAIM_NAIVE, _claim_params(claimant, queues))


async def wip_refusal(
    session: AsyncSession, user_id: uuid.UUID, queues: Sequence[str] | None
) -> str | None:
    """Why a claim is refused by a WIP limit, or None (then there was simply nothing to take)."""
    held = await held_count(session, user_id)
    limit = (
        await session.execute(select(User.wip_limit).where(User.id == user_id))
    ).scalar_one_or_none()
    if limit is not None and held >= limit:
        return f"you hold {held} task(s) and your WIP limit is {limit}: finish or release one first"
    in_progress = (
        select(Task.queue, func.count().label("n"))
        .where(Task.status == TaskStatus.CLAIMED)
        .group_by(Task.queue)
        .subquery()
    )
    query = (
        select(Queue.name, Queue.wip_limit, func.coalesce(in_progress.c.n, 0))
        .outerjoin(in_progress, in_progress.c.queue == Queue.name)
        .where(Queue.wip_limit.is_not(None))
    )
    if queues:
        query = query.where(Queue.name.in_(list(queues)))
    full = [
        f"{name!r} ({count}/{limit})"
        for name, limit, count in (await session.execute(query)).all()
        if count >= limit
    ]
    if full:
        return "queue at its WIP limit, nothing claimed: " + ", ".join(full)
    return None


async def held_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        Task.assignee_id == user_id, Task.status == TaskStatus.CLAIMED
    )
    return int((await session.execute(query)).scalar_one())


async def claim(session: AsyncSession, task: Task, user_id: uuid.UUID) -> bool:
    """Claim an open task; False when someone else got it first."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == TaskStatus.OPEN)
        .values(
            status=TaskStatus.CLAIMED,
            assignee_id=user_id,
            claimed_at=func.now(),
            lease_expires_at=text(_LEASE),
            generation=Task.generation + 1,
            released_by=None,
        )
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


def _held(task_id: uuid.UUID, user_id: uuid.UUID, generation: int | None) -> list[Any]:
    where = [Task.id == task_id, Task.status == TaskStatus.CLAIMED, Task.assignee_id == user_id]
    if generation is not None:
        where.append(Task.generation == generation)
    return where


async def release(
    session: AsyncSession, task: Task, user_id: uuid.UUID, generation: int | None = None
) -> bool:
    """Give a held task back to its queue; False if not held by `user_id` (at `generation`).

    Remembers who sent it back, so claim-next offers it to someone else first."""
    result = await session.execute(
        update(Task)
        .where(*_held(task.id, user_id, generation))
        .values(
            status=TaskStatus.OPEN,
            assignee_id=None,
            claimed_at=None,
            lease_expires_at=None,
            released_by=user_id,
        )
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def renew_lease(
    session: AsyncSession, task_id: uuid.UUID, user_id: uuid.UUID, generation: int | None = None
) -> datetime | None:
    """Heartbeat: a fresh full lease for the holder; None if not held (at `generation`)."""
    result = await session.execute(
        update(Task)
        .where(*_held(task_id, user_id, generation))
        .values(lease_expires_at=text(_LEASE))
        .returning(Task.lease_expires_at)
    )
    return result.scalar_one_or_none()


# complete_held as one plain psycopg statement (no SQLAlchemy layers): the claims benchmark runs it
# once per cycle.
_COMPLETE_HELD = _psycopg(
    """
    UPDATE tasks
    SET status = 'completed', outcome = 'done', completed_by = CAST(:user_id AS uuid),
        completed_at = now(), lease_expires_at = NULL
    WHERE id = CAST(:id AS uuid) AND status = 'claimed' AND assignee_id = CAST(:user_id AS uuid)
      AND generation = CAST(:generation AS int)
    RETURNING id
    """
)


async def complete_held(
    session: AsyncSession, task_id: uuid.UUID, user_id: uuid.UUID, generation: int
) -> bool:
    """Mark a held task completed only if the claim is current (the fence, in one statement).

    The API completes through Temporal; this is the repository-level completion the claims
    benchmark uses, and what a completion without a workflow would do.
    """
    params = {"id": str(task_id), "user_id": str(user_id), "generation": generation}
    cursor = await (await _driver(session)).execute(_COMPLETE_HELD, params, prepare=True)
    return await cursor.fetchone() is not None


async def assign(session: AsyncSession, task: Task, assignee_id: uuid.UUID) -> int | None:
    """Give an open or claimed task to a named user (a manager's decision); bumps the fence.

    Returns the new claim generation, or None when the task is no longer open or claimed."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]))
        .values(
            status=TaskStatus.CLAIMED,
            assignee_id=assignee_id,
            claimed_at=func.now(),
            lease_expires_at=text(_LEASE),
            generation=Task.generation + 1,
            released_by=None,
        )
        .returning(Task.generation)
    )
    generation: int | None = result.scalar_one_or_none()
    return generation


async def set_priority(session: AsyncSession, task: Task, rank: int) -> bool:
    result = await session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]))
        .values(priority=rank)
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


@dataclass(frozen=True)
class Returned:
    """A task put back in its queue by the system (lease expiry, redistribution)."""

    task_id: uuid.UUID
    engagement_id: uuid.UUID
    firm_id: uuid.UUID
    queue: str
    previous_assignee_id: uuid.UUID | None
    generation: int


_RETURN = """
    UPDATE tasks t
    SET status = 'open', assignee_id = NULL, claimed_at = NULL, lease_expires_at = NULL
    FROM gone
    WHERE t.id = gone.id
    RETURNING t.id, t.engagement_id, t.firm_id, t.queue, gone.assignee_id, t.generation
"""

# SKIP LOCKED: a sweep never waits on a clerk's transaction (a heartbeat or completion in flight
# wins; the next sweep looks again), and two sweepers never return the same row twice.
_EXPIRE = text(
    f"""
    WITH gone AS (
        SELECT id, assignee_id FROM tasks
        WHERE status = 'claimed' AND lease_expires_at < now()
        ORDER BY lease_expires_at
        LIMIT CAST(:batch AS int)
        FOR UPDATE SKIP LOCKED
    )
    {_RETURN}
    """
)

_HELD_BY = text(
    f"""
    WITH gone AS (
        SELECT id, assignee_id FROM tasks
        WHERE status = 'claimed' AND assignee_id = CAST(:user_id AS uuid)
        FOR UPDATE
    )
    {_RETURN}
    """
)


def _returned(rows: Sequence[Any]) -> list[Returned]:
    return [Returned(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def expire_leases(session: AsyncSession, batch: int = 500) -> list[Returned]:
    """Return tasks whose lease ran out to their queue (the holder's generation is now stale)."""
    return _returned((await session.execute(_EXPIRE, {"batch": batch})).all())


async def return_all_held_by(session: AsyncSession, user_id: uuid.UUID) -> list[Returned]:
    """Put every task `user_id` holds back in its queue (a manager redistributing an away clerk)."""
    return _returned((await session.execute(_HELD_BY, {"user_id": str(user_id)})).all())


async def add_comment(
    session: AsyncSession, task: Task, author_id: uuid.UUID, body: str
) -> TaskComment:
    comment = TaskComment(
        task_id=task.id,
        engagement_id=task.engagement_id,
        firm_id=task.firm_id,
        author_id=author_id,
        body=body,
    )
    session.add(comment)
    await session.flush()
    await session.refresh(comment)
    return comment


async def comments(session: AsyncSession, task_id: uuid.UUID) -> Sequence[TaskComment]:
    query = select(TaskComment).where(TaskComment.task_id == task_id).order_by(TaskComment.id)
    return (await session.execute(query)).scalars().all()


def _completion(
    outcome: str,
    output: dict[str, Any],
    note: str | None,
    completed_by: uuid.UUID,
    completed_at: datetime,
) -> dict[str, Any]:
    """The columns a completion writes, fenced or not."""
    return {
        "status": TaskStatus.COMPLETED,
        "outcome": outcome,
        "output": output,
        "note": note,
        "completed_by": completed_by,
        "completed_at": completed_at,
        "lease_expires_at": None,
    }


async def mark_completed(
    session: AsyncSession,
    task_id: uuid.UUID,
    *,
    outcome: str,
    output: dict[str, Any],
    note: str | None,
    completed_by: uuid.UUID,
    completed_at: datetime,
) -> bool:
    """Idempotent: True only for the first call."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status != TaskStatus.COMPLETED)
        .values(_completion(outcome, output, note, completed_by, completed_at))
        .returning(Task.id)
    )
    return result.scalar_one_or_none() is not None


async def complete_under_claim(
    session: AsyncSession,
    task_id: uuid.UUID,
    *,
    generation: int,
    outcome: str,
    output: dict[str, Any],
    note: str | None,
    completed_by: uuid.UUID,
    completed_at: datetime,
) -> str | None:
    """Complete the task only under the claim it was worked under (the fence, in the row).

    Returns None when written (or already written by this same completion: an activity retry),
    otherwise why not: the claim was released, expired, reassigned or re-claimed meanwhile.
    """
    result = await session.execute(
        update(Task)
        .where(
            Task.id == task_id,
            Task.status == TaskStatus.CLAIMED,
            Task.assignee_id == completed_by,
            Task.generation == generation,
        )
        .values(_completion(outcome, output, note, completed_by, completed_at))
        .returning(Task.id)
    )
    if result.scalar_one_or_none() is not None:
        return None
    row = (
        await session.execute(
            select(Task.status, Task.assignee_id, Task.generation, Task.completed_by).where(
                Task.id == task_id
            )
        )
    ).one_or_none()
    if row is None:
        return "the task does not exist"
    if (
        row.status == TaskStatus.COMPLETED
        and row.completed_by == completed_by
        and row.generation == generation
    ):
        return None  # this completion, written by an earlier attempt
    if row.generation != generation:
        return (
            f"your claim (generation {generation}) was superseded by generation "
            f"{row.generation}; nothing was completed"
        )
    return f"you no longer hold this task (it is {row.status}); nothing was completed"


async def cancel_open(session: AsyncSession, engagement_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        update(Task)
        .where(
            Task.engagement_id == engagement_id,
            Task.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]),
        )
        .values(status=TaskStatus.CANCELLED, lease_expires_at=None)
        .returning(Task.id)
    )
    return list(result.scalars())


# The engagement's live documents at their current versions, oldest first, computed only for an
# approval row not pinned yet (the subquery in SET runs per updated row); a retried completion
# reads the first pin back.
_PIN_APPROVED_VERSIONS = text(
    """
    WITH pinned AS (
        UPDATE tasks SET approved_versions = (
            SELECT coalesce(jsonb_agg(jsonb_build_object('document_id', d.id::text,
                                                         'version', d.current_version)
                                      ORDER BY d.created_at, d.id), '[]'::jsonb)
            FROM documents d
            WHERE d.engagement_id = tasks.engagement_id AND d.deleted_at IS NULL)
        WHERE id = :task_id AND kind = 'approval' AND approved_versions IS NULL
        RETURNING approved_versions
    )
    SELECT approved_versions FROM pinned
    UNION ALL
    SELECT approved_versions FROM tasks
    WHERE id = :task_id AND kind = 'approval' AND NOT EXISTS (SELECT 1 FROM pinned)
    """
)


async def pin_approved_versions(
    session: AsyncSession, task_id: uuid.UUID
) -> list[dict[str, Any]] | None:
    """Pin what an approval task approved, once, in one statement: the engagement's documents as
    they stand now. A retried completion keeps the first pin (a version uploaded between two
    attempts was never approved). None unless an approval task."""
    row = (await session.execute(_PIN_APPROVED_VERSIONS, {"task_id": task_id})).first()
    return None if row is None else row[0]


async def latest_approval(session: AsyncSession, engagement_id: uuid.UUID) -> Task | None:
    """The engagement's most recently completed approval task (the one a filing answers to)."""
    return (
        await session.execute(
            select(Task)
            .where(
                Task.engagement_id == engagement_id,
                Task.kind == "approval",
                Task.status == TaskStatus.COMPLETED,
            )
            .order_by(Task.completed_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
