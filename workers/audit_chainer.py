"""Extends the audit log's hash chain every half second while a worker runs, and signs its head.

Writers insert plain entries; the chain is linked after their commits by
`store.repositories.audit.chain_pending` (migration 0011_audit_chainer). Every worker runs one
of these: they take turns on the chain's lock without waiting (`wait=False`), so one dead worker
changes nothing, and verify and export chain whatever is still pending before they read.

With `signing`, the chain's head is also signed (Ed25519, a key held in settings, never in the
database) about every `signing.every` while it grows: the exported record that lets
`docketflow audit verify` catch a rewrite by anyone who may write the table and recompute the
chain (store/repositories/audit_heads.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from core.audit_signing import HeadSigner, HeadVerifier
from core.settings import Settings
from store.db import SessionFactory
from store.repositories import audit, audit_heads

log = structlog.get_logger(__name__)

BATCH = 5000
# How often a worker asks whether a head is due; the database decides (one signer at a time).
SIGNING_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class HeadSigning:
    signer: HeadSigner
    verifier: HeadVerifier
    every: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> HeadSigning:
        return cls(
            settings.audit_head_signer(),
            settings.audit_head_verifier(),
            timedelta(seconds=settings.audit_head_interval_seconds),
        )


async def _sign(sessions: SessionFactory, signing: HeadSigning) -> None:
    async with sessions.begin() as session:
        await audit_heads.sign_head(
            session,
            signing.signer,
            signing.verifier,
            min_interval=signing.every,
            now=datetime.now(UTC),
        )


async def chain_forever(
    sessions: SessionFactory, interval: float = 0.5, signing: HeadSigning | None = None
) -> None:
    checked_at = float("-inf")
    while True:
        chained = 0
        try:
            async with sessions.begin() as session:
                chained = await audit.chain_pending(session, BATCH, wait=False)
            if signing is not None and time.monotonic() - checked_at >= SIGNING_CHECK_SECONDS:
                checked_at = time.monotonic()
                await _sign(sessions, signing)
        except audit_heads.ChainBrokenError:
            pass  # logged where found (audit_chain.broken); signing resumes once repaired
        except Exception:  # the database restarting must not end the loop; the next turn retries
            log.warning("audit_chain.failed", exc_info=True)
        if chained < BATCH:  # a full batch means a backlog: go again at once
            await asyncio.sleep(interval)


@asynccontextmanager
async def chaining(
    sessions: SessionFactory, interval: float = 0.5, signing: HeadSigning | None = None
) -> AsyncIterator[None]:
    task = asyncio.create_task(chain_forever(sessions, interval, signing))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
