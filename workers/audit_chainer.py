"""Extends the audit log's hash chain every half second while a worker runs.

Writers insert plain entries; the chain is linked after their commits by
`store.repositories.audit.chain_pending` (migration 0011_audit_chainer). Every worker runs one
of these: they take turns on the chain's lock without waiting (`wait=False`), so one dead worker
changes nothing, and verify and export chain whatever is still pending before they read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog

from store.db import SessionFactory
from store.repositories import audit

log = structlog.get_logger(__name__)

BATCH = 5000


async def chain_forever(sessions: SessionFactory, interval: float = 0.5) -> None:
    while True:
        chained = 0
        try:
            async with sessions.begin() as session:
                chained = await audit.chain_pending(session, BATCH, wait=False)
        except Exception:  # the database restarting must not end the loop; the next turn retries
            log.warning("audit_chain.failed", exc_info=True)
        if chained < BATCH:  # a full batch means a backlog: go again at once
            await asyncio.sleep(interval)


@asynccontextmanager
async def chaining(sessions: SessionFactory, interval: float = 0.5) -> AsyncIterator[None]:
    task = asyncio.create_task(chain_forever(sessions, interval))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
