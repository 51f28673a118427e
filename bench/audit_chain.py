"""What the audit hash chain costs: audit inserts per second with the chainer running vs without.

    python -m bench.audit_chain                  # 2,000 inserts x concurrency 1, 8, 32; 5 runs
    python -m bench.audit_chain --inserts 500 --repeat 3

Each insert is its own transaction (as in the API: one request, one audit row, one commit), via
store.repositories.audit.record. `chained` runs the workers' chainer (workers/audit_chainer.py,
every 0.5 s) alongside the writers, as in production; `plain` runs no chainer (the entries are
chained by the verify at the end). Since migration 0011 writers never wait for one another: the
chain is extended after their commits, outside their transactions. `backlog` times chaining
20,000 pending entries in one call. A private PostgreSQL on a temporary home, migrated by the
project's revisions. Prints medians and writes bench/results/audit_chain.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from cli.bootstrap import migrate_and_sync
from cli.devstack.postgres import PrivatePostgres
from core.settings import Settings
from store.db import SessionFactory, make_engine, make_session_factory
from store.repositories import audit
from store.repositories.audit import AuditRecord
from workers.audit_chainer import chaining

RESULTS = Path(__file__).parent / "results"


async def _writer(sessions: SessionFactory, count: int) -> list[float]:
    latencies = []
    firm = uuid.uuid4()
    for n in range(count):
        began = time.perf_counter()
        async with sessions.begin() as session:
            await audit.record(
                session,
                AuditRecord(
                    action="bench.write",
                    object_type="task",
                    object_id=str(n),
                    firm_id=firm,
                    detail={"n": n, "outcome": "done"},
                ),
            )
        latencies.append(time.perf_counter() - began)
    return latencies


async def _run(url: str, inserts: int, concurrency: int, chained: bool) -> dict[str, float]:
    engine = make_engine(url, pool_size=concurrency + 1)
    sessions = make_session_factory(engine)
    async with chaining(sessions) if chained else nullcontext():
        began = time.perf_counter()
        parts = await asyncio.gather(
            *(_writer(sessions, inserts // concurrency) for _ in range(concurrency))
        )
        elapsed = time.perf_counter() - began
    latencies = sorted(x for part in parts for x in part)
    async with sessions.begin() as session:
        await audit.chain_pending(session)  # what the chainer has not reached yet
    async with sessions() as session:
        report = await audit.verify_chain(session)
    assert report.intact, report
    assert report.checked == len(latencies), report
    await engine.dispose()
    return {
        "per_second": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


async def _backlog_speed(url: str, entries: int = 20_000) -> dict[str, float]:
    engine = make_engine(url, pool_size=8)
    sessions = make_session_factory(engine)
    await asyncio.gather(*(_writer(sessions, entries // 8) for _ in range(8)))
    began = time.perf_counter()
    async with sessions.begin() as session:
        chained = await audit.chain_pending(session, max_rows=entries)
    elapsed = time.perf_counter() - began
    await engine.dispose()
    return {"entries": chained, "seconds": elapsed, "per_second": chained / elapsed}


async def _verify_speed(url: str) -> dict[str, float]:
    engine = make_engine(url, pool_size=1)
    sessions = make_session_factory(engine)
    began = time.perf_counter()
    async with sessions() as session:
        report = await audit.verify_chain(session)
    elapsed = time.perf_counter() - began
    await engine.dispose()
    return {"entries": report.checked, "seconds": elapsed, "per_second": report.checked / elapsed}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inserts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    cluster = PrivatePostgres(Path(tempfile.mkdtemp(prefix="docketflow-bench-audit-")))
    cluster.start()
    try:
        template = cluster.create_database("bench_audit_template")
        asyncio.run(migrate_and_sync(Settings(database_url=template, env="test")))
        results: dict[str, Any] = {}
        for concurrency in args.concurrency:
            for chained in (False, True):
                runs = []
                for _ in range(args.repeat):
                    name = f"bench_audit_{uuid.uuid4().hex[:8]}"
                    url = cluster.create_database(name, template="bench_audit_template")
                    runs.append(asyncio.run(_run(url, args.inserts, concurrency, chained)))
                    cluster.drop_database(name)
                label = f"{'chained' if chained else 'plain'}@{concurrency}"
                results[label] = {
                    key: statistics.median(r[key] for r in runs) for key in runs[0]
                } | {"runs": runs}
                median = results[label]
                print(
                    f"{label:>12}: {median['per_second']:8.0f} inserts/s  "
                    f"p50 {median['p50_ms']:6.2f} ms  p99 {median['p99_ms']:6.2f} ms"
                )
        name = f"bench_audit_{uuid.uuid4().hex[:8]}"
        url = cluster.create_database(name, template="bench_audit_template")
        backlog = asyncio.run(_backlog_speed(url))
        print(f"backlog: {backlog['entries']} entries chained in {backlog['seconds']:.2f} s")
        results["backlog"] = backlog
        verify = asyncio.run(_verify_speed(url))
        print(f"verify: {verify['entries']} entries in {verify['seconds']:.2f} s")
        results["verify"] = verify
    finally:
        cluster.stop()
    RESULTS.mkdir(exist_ok=True)
    out = {
        "inserts": args.inserts,
        "repeat": args.repeat,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }
    (RESULTS / "audit_chain.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
