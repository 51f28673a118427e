"""The audit log: who did what, to which object, for which firm.

Append-only from the insert (triggers, migration 0003_security; the runtime role may only
SELECT and INSERT, migration 0017) and hash-chained by the database shortly after commit
(`chain_pending`, migration 0011_audit_chainer): each chained row stores its place `seq`, the hash
of the one before it and of its own canonical content, so `verify_chain` finds any edit or
deletion, and checks the heads the workers signed (store/repositories/audit_heads.py) against
it. Writers never wait for one another: the chain is extended by one chainer at a time, outside
their transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit_signing import HeadVerifier, SignedHead
from store.audit_hash import COLUMNS, EntryContent, entry_hash
from store.models import AuditEntry, AuditHead
from store.scope import Scope


@dataclass(frozen=True)
class AuditRecord:
    action: str
    object_type: str
    object_id: str
    actor_id: uuid.UUID | None = None
    actor_role: str | None = None
    engagement_id: uuid.UUID | None = None
    firm_id: uuid.UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    client_addr: str | None = None
    # Set by writers that may retry (activities): the second write of the same key is a no-op.
    dedupe_key: str | None = None


async def record(session: AsyncSession, entry: AuditRecord) -> None:
    values = {
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "engagement_id": entry.engagement_id,
        "firm_id": entry.firm_id,
        "detail": entry.detail,
        "request_id": entry.request_id,
        "client_addr": entry.client_addr,
        "dedupe_key": entry.dedupe_key,
    }
    statement = insert(AuditEntry).values(**values)
    if entry.dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(statement)


async def chain_pending(session: AsyncSession, max_rows: int = 10_000, wait: bool = True) -> int:
    """Link the committed, unchained entries (in id order) to the chain; returns how many.

    `wait=False` returns 0 at once when another chainer holds the chain (the periodic chainer);
    verify and export wait, so they see every entry committed before they began."""
    query = text("SELECT audit_chain_pending(:max_rows, :wait)")
    return int((await session.execute(query, {"max_rows": max_rows, "wait": wait})).scalar_one())


async def list_entries(
    session: AsyncSession,
    scope: Scope,
    *,
    engagement_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).where(scope.filter(AuditEntry.firm_id))
    if engagement_id is not None:
        query = query.where(AuditEntry.engagement_id == engagement_id)
    if task_id is not None:
        query = query.where(AuditEntry.object_type == "task", AuditEntry.object_id == str(task_id))
    query = query.order_by(AuditEntry.id).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()


async def export_entries(
    session: AsyncSession,
    scope: Scope,
    *,
    engagement_id: uuid.UUID | None = None,
    firm_id: uuid.UUID | None = None,
) -> Sequence[AuditEntry]:
    """One engagement's or one firm's whole trail, in chain order, for a client's audit."""
    query = select(AuditEntry).where(scope.filter(AuditEntry.firm_id))
    if engagement_id is not None:
        query = query.where(AuditEntry.engagement_id == engagement_id)
    if firm_id is not None:
        query = query.where(AuditEntry.firm_id == firm_id)
    order = (AuditEntry.seq.asc().nulls_last(), AuditEntry.id)
    return (await session.execute(query.order_by(*order))).scalars().all()


GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainReport:
    """The outcome of re-walking the chain: `broken_id` is the first entry that does not hold.
    `head_id`/`head_hash` name the newest chained entry; `unchained` entries wait for the
    chainer's next turn."""

    checked: int
    head_id: int | None
    head_hash: str | None
    broken_id: int | None = None
    problem: str | None = None
    unchained: int = 0
    signed_heads: int = 0  # signed heads checked against the chain
    newest_signed_at: datetime | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


async def signed_heads(session: AsyncSession) -> list[SignedHead]:
    rows = (await session.execute(select(AuditHead).order_by(AuditHead.id))).scalars()
    return [SignedHead(r.seq, r.entry_id, r.hash, r.signed_at, r.key_id, r.signature) for r in rows]


async def chained_entries(
    session: AsyncSession, *, after_seq: int = 0, batch: int = 5000
) -> AsyncIterator[Row[Any]]:
    """The chained entries after `after_seq`, in chain order, with the columns the hash needs."""
    query = text(
        f"SELECT {COLUMNS} FROM audit_log a WHERE a.seq > :after ORDER BY a.seq LIMIT :batch"
    )
    while True:
        rows = (await session.execute(query, {"after": after_seq, "batch": batch})).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after_seq = rows[-1].seq


def link_problem(row: Row[Any], previous: str) -> str | None:
    """Why a chained entry does not hold, with its hash recomputed here (store.audit_hash)."""
    if row.prev_hash != previous:
        return "does not link to its predecessor (an earlier one was deleted or edited)"
    content = EntryContent(
        id=row.id, at=row.at, actor_id=row.actor_id, actor_role=row.actor_role,
        action=row.action, object_type=row.object_type, object_id=row.object_id,
        engagement_id=row.engagement_id, firm_id=row.firm_id, detail=row.detail,
        request_id=row.request_id, client_addr=row.client_addr, dedupe_key=row.dedupe_key,
    )  # fmt: skip
    if row.hash != entry_hash(content, row.prev_hash):
        return "its content does not match its hash (the entry was edited)"
    return None


async def verify_chain(
    session: AsyncSession,
    *,
    anchor: tuple[int, str] | None = None,
    batch: int = 5000,
    verifier: HeadVerifier | None = None,
    extra_heads: Sequence[SignedHead] = (),
) -> ChainReport:
    """Recompute every chained entry's hash (in Python: store.audit_hash, never the database's
    own function) and link, in chain order. Run `chain_pending` in a transaction of its own
    first to include the entries committed since the chainer's last turn (the CLI does).

    An edited entry no longer matches its hash; a deleted one leaves its successor pointing at a
    hash that is not its predecessor's. Deleting the newest entries is only caught against an
    exported head: pass an earlier run's head as `anchor` (id, hash) and it must still be there.

    With a `verifier`, every signed head (`audit_heads`, and `extra_heads` exported elsewhere)
    must carry a valid signature and still match the chain at its place: a chain rewritten and
    re-hashed after a head was signed no longer does, whoever rewrote it.
    """
    heads: dict[int, list[SignedHead]] = {}
    newest_signed: datetime | None = None
    if verifier is not None:
        for head in [*await signed_heads(session), *extra_heads]:
            bad_signature = verifier.check(head)
            if bad_signature is not None:
                return ChainReport(0, None, None, head.entry_id, f"its signed head {bad_signature}")
            heads.setdefault(head.seq, []).append(head)
            newest_signed = max(newest_signed or head.signed_at, head.signed_at)
    signed_count = sum(len(same) for same in heads.values())
    previous = GENESIS
    checked = 0
    head_id: int | None = None
    anchor_seen = False
    last_seq = 0
    async for row in chained_entries(session, batch=batch):
        problem = link_problem(row, previous)
        if problem is None and anchor is not None and row.id == anchor[0] and row.hash != anchor[1]:
            problem = "differs from the anchored head"
        for signed in heads.pop(row.seq, []) if problem is None else []:
            if (signed.entry_id, signed.hash) != (row.id, row.hash):
                at = signed.signed_at.isoformat(timespec="seconds")
                problem = f"differs from the chain head signed at {at} (the chain was rewritten)"
        if problem is not None:
            return ChainReport(checked, head_id, previous, row.id, problem)
        anchor_seen = anchor_seen or (anchor is not None and row.id == anchor[0])
        previous = row.hash
        head_id = row.id
        last_seq = row.seq
        checked += 1
    if anchor is not None and not anchor_seen:
        return ChainReport(
            checked, head_id, previous, anchor[0], "is gone: the newest entries were deleted"
        )
    if heads:
        lost = heads[min(heads)][0]
        return ChainReport(
            checked,
            head_id,
            previous,
            lost.entry_id,
            f"is gone: a head signed at place {lost.seq} is beyond the chain's end ({last_seq}), "
            "the newest entries were deleted",
        )
    pending = text("SELECT count(*) FROM audit_log WHERE seq IS NULL")
    unchained = int((await session.execute(pending)).scalar_one())
    return ChainReport(
        checked,
        head_id,
        previous if head_id is not None else None,
        None,
        None,
        unchained,
        signed_heads=signed_count,
        newest_signed_at=newest_signed,
    )
