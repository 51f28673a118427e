"""Signed chain heads: a worker checks the entries chained since the last signed head (hashes
recomputed in Python) and signs the new head with a key the database never holds.

A head is signed only over a chain this process has checked itself, so a rewrite done before a
signing (or a replaced `audit_entry_hash`) is refused and logged rather than vouched for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit_signing import HeadSigner, HeadVerifier, SignedHead
from store.models import AuditHead
from store.repositories.audit import GENESIS, chained_entries, link_problem

log = structlog.get_logger(__name__)

# Its own lock, not the chain's: signing never holds up the chainer, and one signer at a time.
SIGNER_LOCK = 74610018


class ChainBrokenError(Exception):
    """The entries since the last signed head do not hold: nothing was signed."""


async def sign_head(
    session: AsyncSession,
    signer: HeadSigner,
    verifier: HeadVerifier,
    *,
    min_interval: timedelta,
    now: datetime,
) -> SignedHead | None:
    """Sign the chain's head if it moved and the last head is at least `min_interval` old.

    None when another process is signing, nothing changed, or the last head is recent. The
    walk starts at the last signed head, so its signature is checked first: a head row written
    by anyone else is not a starting point."""
    lock = text("SELECT pg_try_advisory_xact_lock(:key)")
    if not (await session.execute(lock, {"key": SIGNER_LOCK})).scalar_one():
        return None
    last = (
        await session.execute(select(AuditHead).order_by(AuditHead.id.desc()).limit(1))
    ).scalar_one_or_none()
    if last is not None and now - last.signed_at < min_interval:
        return None
    previous, after_seq = GENESIS, 0
    if last is not None:
        stored = SignedHead(
            last.seq, last.entry_id, last.hash, last.signed_at, last.key_id, last.signature
        )
        bad = verifier.check(stored)
        if bad is not None:
            log.error("audit_head.forged", head_id=last.id, problem=bad)
            raise ChainBrokenError(f"the last signed head ({last.id}) {bad}")
        previous, after_seq = last.hash, last.seq
    newest = None
    async for row in chained_entries(session, after_seq=after_seq):
        problem = link_problem(row, previous)
        if problem is not None:
            log.error("audit_chain.broken", entry_id=row.id, seq=row.seq, problem=problem)
            raise ChainBrokenError(f"audit entry {row.id} {problem}")
        previous, newest = row.hash, row
    if newest is None:
        return None  # the chain has not moved since the last head
    head = signer.sign(newest.seq, newest.id, newest.hash, now)
    session.add(
        AuditHead(
            seq=head.seq,
            entry_id=head.entry_id,
            hash=head.hash,
            signed_at=head.signed_at,
            key_id=head.key_id,
            signature=head.signature,
        )
    )
    await session.flush()
    log.info("audit_head.signed", seq=head.seq, entry_id=head.entry_id, key_id=head.key_id)
    return head
