"""Claims benchmark: N clerks doing claim -> complete against a big task table.

    python -m bench.claims                       # 1,000,000 rows, 32 clerks, 30 s per phase
    python -m bench.claims --seconds 5 --rows 100000 --repeat 1   # a quick look

Self-contained: a private PostgreSQL (cli/devstack/postgres.py) on a temporary home, migrated by
the project's Alembic revisions, seeded with `INSERT … SELECT generate_series` (90 % completed
history, open work over `--queues` queues). Each phase runs on a fresh clone of the seeded database:

- `repo`    store.repositories.tasks.claim_next (what the API calls), then a fenced completion;
- `api`     POST /api/v1/tasks/claim-next on a real uvicorn server in a subprocess (authentication,
            audit row and JSON included); the completion is the repository-level fenced
            completion, because this benchmark is about claims, not Temporal Updates;
- `naive`   one query over all queues (`queue = ANY(…) ORDER BY priority, due_at LIMIT 1 FOR UPDATE
            SKIP LOCKED`), the design the issue compares against;
- `window`  the lock-free candidate-window alternative to claim_next (see its docstring),
            reported for the record;
- `repo@small` the `repo` phase again on a `--small-rows` table;
- `pgbench` the `repo` phase's own statements from PostgreSQL's C client (bench/claims_pgbench.py):
            what PostgreSQL alone does on this machine, the figure every phase is divided by.

A completion also inserts the engagement's next open task (what the workflow would do), so queue
depth stays steady and the small table does not run dry. A double claim is a task id handed out
twice in one phase; a fence failure is a completion refused because the claim was no longer held.
Every phase of a run is printed as a ratio to that run's pgbench figure, with the load average
at its start. Prints a table and writes bench/results/claims-<utc time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, cast

import httpx
import psycopg
import uvloop
from sqlalchemy import text

from bench import claims_pgbench
from bench.claims_seed import FIRM_ID, PASSWORD, Seeded, seed
from bench.proc_cpu import cpu_seconds, process_tree
from cli.bootstrap import migrate_and_sync
from cli.devstack.ports import free_port
from cli.devstack.postgres import PrivatePostgres
from core.settings import Settings
from store.db import SessionFactory, make_engine, make_session_factory
from store.repositories import tasks
from store.repositories.tasks import Claimant
from workers.audit_chainer import chaining

RESULTS = Path(__file__).parent / "results"

# What the workflow's create-task activity does after a completion (its own transaction there too).
_NEXT_TASK = """
    INSERT INTO tasks (id, engagement_id, firm_id, step_id, visit, kind, title, queue, priority,
        status, outcomes, due_at)
    VALUES (gen_random_uuid(), %(engagement)s, %(firm)s, %(step)s, %(visit)s, 'human',
        'Bench task', %(queue)s, %(priority)s, 'open', '{done}',
        now() + make_interval(hours => %(hours)s))
    """


@dataclass
class Clerk:
    user_id: str
    name: str
    token: str = ""


@dataclass
class ChildResult:
    latencies_ms: list[float] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)
    cycles: int = 0
    empty: int = 0
    fence_failures: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class PhaseResult:
    phase: str
    rows: int
    open_rows: int
    seconds: float
    clerks: int
    claims: int
    cycles: int
    empty: int
    claims_per_s: float
    cycles_per_s: float
    # Claim latency; None for pgbench, which reports each statement's average (statement_ms).
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    double_claims: int
    fence_failures: int
    errors: int
    first_errors: list[str]
    # PostgreSQL sessions opened during the phase (warm-up included): pool churn shows here.
    connections_opened: int = 0
    # CPU milliseconds per claim, by side (postgres, server, clients, chainer); see CpuMeter.
    cpu_ms_per_claim: dict[str, float] = field(default_factory=dict)
    run: int = 0
    # 1-minute load average when the phase started (the machine's 2 cores are shared).
    load_avg: float = 0.0
    # This phase's claims/s over the same run's pgbench claims/s.
    vs_pgbench: float | None = None
    statement_ms: dict[str, float] = field(default_factory=dict)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _sessions_opened(url: str) -> int:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


class CpuMeter:
    """CPU used by each side during the measured window: PostgreSQL (all its processes), the API
    server (uvicorn and its workers), the client processes, and this process (the audit chainer).
    CPU per claim does not depend on what else the shared machine runs, unlike claims/s."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.before: dict[int, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> None:
        self.before, _ = cpu_seconds()

    def stop(self) -> None:
        after, parent = cpu_seconds()
        groups = {name: process_tree(pid, parent) for name, pid in self.roots.items() if pid}
        me = os.getpid()
        taken = set().union(*groups.values()) if groups else set()
        groups["clients"] = process_tree(me, parent) - taken - {me}
        groups["chainer"] = {me}
        self.used = {
            name: sum(after.get(p, 0.0) - self.before.get(p, 0.0) for p in pids)
            for name, pids in groups.items()
        }


# ---------------------------------------------------------------------------- child processes


async def _complete(
    sessions: SessionFactory, clerk: Clerk, row: dict[str, Any], queues: list[str]
) -> bool:
    # The sessions are autocommit: the fenced completion is one statement (its own transaction),
    # then the next task is inserted, as the workflow's activity would, in another.
    async with sessions() as session:
        done = await tasks.complete_held(
            session, uuid.UUID(row["id"]), uuid.UUID(clerk.user_id), int(row["generation"])
        )
        if done:
            raw = await (await session.connection()).get_raw_connection()
            driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
            await driver.execute(
                _NEXT_TASK,
                {
                    "engagement": row["engagement_id"],
                    "firm": FIRM_ID,
                    "step": f"n{row['id']}",
                    "visit": int(row["generation"]),
                    "queue": random.choice(queues),
                    "priority": random.randrange(4),
                    "hours": random.randrange(1, 72),
                },
                prepare=True,
            )
    return done


async def _claim_repo(
    mode: str, sessions: SessionFactory, clerk: Clerk, queues: list[str]
) -> dict[str, Any] | None:
    claimant = Claimant(user_id=uuid.UUID(clerk.user_id), skills=("drafting", "qc"))
    # Autocommit, as the API's claim-next runs it: one statement, its own transaction.
    async with sessions() as session:
        if mode == "naive":
            task = await tasks.claim_next_naive(session, claimant, queues)
        elif mode == "window":
            task = await tasks.claim_next_window(session, claimant, None)
        else:
            task = await tasks.claim_next(session, claimant, None)
        if task is None:
            return None
        return {
            "id": str(task.id),
            "generation": task.generation,
            "engagement_id": task.engagement_id,
        }


class HttpConnection(asyncio.Protocol):
    """One clerk's keep-alive HTTP/1.1 connection to the API: a request, then its response.

    The load generator shares the 2 cores with the server it measures, so it must be cheap: httpx
    cost ~2-3 ms of client CPU per request here, more than the API's own handling of it. This
    speaks plain HTTP/1.1 (the server parses every header as for any client) and reads responses
    framed by Content-Length, which every API response carries (204: no body).
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None

    @classmethod
    async def open(cls, base: str) -> HttpConnection:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(cls, host, int(port))
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result((int(lines[0].split(" ", 2)[1]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection closed: {exc!r}"))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        if self.transport.is_closing():
            raise ConnectionError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _claim_request(base: str, token: str) -> bytes:
    host = base.removeprefix("http://")
    return (
        f"POST /api/v1/tasks/claim-next HTTP/1.1\r\nhost: {host}\r\n"
        f"authorization: Bearer {token}\r\ncontent-length: 0\r\n\r\n"
    ).encode()


async def _claim_api(connection: HttpConnection, request: bytes) -> dict[str, Any] | None:
    status, body = await connection.request(request)
    if status == 204:
        return None
    if status != 200:
        raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
    row: dict[str, Any] = json.loads(body)
    return row


async def _child(
    mode: str,
    url: str,
    api_base: str | None,
    clerks: list[Clerk],
    queues: list[str],
    start_at: float,
    seconds: float,
) -> ChildResult:
    result = ChildResult()
    # No pre-ping: the private server never drops connections, and a ping is a round trip.
    # Autocommit: each claim and each completion is one statement, its own transaction (what
    # POST /tasks/claim-next does), so no BEGIN/COMMIT round trips.
    engine = make_engine(url, pool_size=len(clerks) + 1, pre_ping=False).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    sessions = make_session_factory(engine)
    connections: dict[str, HttpConnection] = {}
    requests: dict[str, bytes] = {}

    # Warm the pools and connections so their set-up is not measured.
    async def warm(clerk: Clerk) -> None:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
        if api_base:
            connection = connections[clerk.user_id] = await HttpConnection.open(api_base)
            requests[clerk.user_id] = _claim_request(api_base, clerk.token)
            status, body = await connection.request(
                f"GET /healthz HTTP/1.1\r\nhost: {api_base.removeprefix('http://')}\r\n\r\n".encode()
            )
            if status != 200:
                raise RuntimeError(f"GET /healthz: HTTP {status}: {body[:200]!r}")

    await asyncio.gather(*(warm(c) for c in clerks))
    await asyncio.sleep(max(0.0, start_at - time.time()))
    end = time.perf_counter() + seconds

    async def clerk_loop(clerk: Clerk) -> None:
        while time.perf_counter() < end:
            began = time.perf_counter()
            try:
                if mode == "api":
                    row = await _claim_api(connections[clerk.user_id], requests[clerk.user_id])
                else:
                    row = await _claim_repo(mode, sessions, clerk, queues)
            except Exception as error:  # a benchmark counts failures instead of stopping
                result.errors.append(repr(error)[:300])
                continue
            if row is None:
                result.empty += 1
                await asyncio.sleep(0.005)
                continue
            result.latencies_ms.append((time.perf_counter() - began) * 1000)
            result.claimed.append(row["id"])
            try:
                if await _complete(sessions, clerk, row, queues):
                    result.cycles += 1
                else:
                    result.fence_failures += 1
            except Exception as error:
                result.errors.append(repr(error)[:300])

    await asyncio.gather(*(clerk_loop(c) for c in clerks))
    for connection in connections.values():
        connection.close()
    await engine.dispose()
    return result


def _child_main(
    mode: str,
    url: str,
    api_base: str | None,
    clerks: list[Clerk],
    queues: list[str],
    start_at: float,
    seconds: float,
    fanout: int,
    window: int,
) -> ChildResult:
    tasks.CLAIM_FANOUT, tasks.CLAIM_WINDOW = fanout, window
    # uvloop (installed with uvicorn[standard], which the API server runs on too): the clients'
    # event loop is a good part of their CPU per cycle on these 2 cores.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_child(mode, url, api_base, clerks, queues, start_at, seconds))


# ---------------------------------------------------------------------------- the parent


@contextmanager
def _audit_chainer(url: str) -> Iterator[None]:
    """The workers' audit chainer, running for the phase as in a deployment (its cost counts)."""
    stop = threading.Event()

    async def run() -> None:
        engine = make_engine(url, pool_size=1, pre_ping=False)
        async with chaining(make_session_factory(engine)):
            await asyncio.to_thread(stop.wait)
        await engine.dispose()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def _metered(meter: CpuMeter, start_at: float, seconds: float) -> Iterator[float]:
    """Sample the meter inside [start_at, start_at + seconds], not at its edges: a client's
    database backends exit as soon as it finishes, and a backend gone before the last sample would
    take its CPU with it. Yields the margin left at each edge."""
    margin = min(0.5, seconds / 10)
    timers = [
        threading.Timer(start_at + margin - time.time(), meter.start),
        threading.Timer(start_at + seconds - margin - time.time(), meter.stop),
    ]
    for timer in timers:
        timer.start()
    try:
        yield margin
    finally:
        for timer in timers:
            timer.join()


def _cpu_per_claim(meter: CpuMeter, claims: int, seconds: float, margin: float) -> dict[str, float]:
    # CPU over the sampled window, per claim at the phase's average rate.
    sampled = claims * (seconds - 2 * margin) / seconds
    return {
        name: round(1000 * used / sampled, 3) if claims else 0.0
        for name, used in meter.used.items()
    }


def _run_phase(
    phase: str,
    mode: str,
    url: str,
    seeded: Seeded,
    clerks: list[Clerk],
    args: argparse.Namespace,
    api_base: str | None = None,
    cpu_roots: dict[str, int] | None = None,
) -> PhaseResult:
    procs = max(1, min(args.procs, len(clerks)))
    groups = [clerks[i::procs] for i in range(procs)]
    sessions_before = _sessions_opened(url)
    load = os.getloadavg()[0]
    start_at = time.time() + 3.0
    meter = CpuMeter(cpu_roots or {})
    with (
        _metered(meter, start_at, args.seconds) as margin,
        _audit_chainer(url),
        ProcessPoolExecutor(max_workers=procs, mp_context=get_context("spawn")) as pool,
    ):
        futures = [
            pool.submit(
                _child_main,
                mode,
                url,
                api_base,
                group,
                seeded.queues,
                start_at,
                args.seconds,
                args.fanout,
                args.window,
            )
            for group in groups
        ]
        parts = [f.result() for f in futures]
    connections = _sessions_opened(url) - sessions_before - 1  # not counting this query's own
    latencies = [v for p in parts for v in p.latencies_ms]
    claimed = Counter(task_id for p in parts for task_id in p.claimed)
    errors = [e for p in parts for e in p.errors]
    claims = sum(claimed.values())
    cycles = sum(p.cycles for p in parts)
    return PhaseResult(
        phase=phase,
        rows=seeded.rows,
        open_rows=seeded.open_rows,
        seconds=args.seconds,
        clerks=len(clerks),
        claims=claims,
        cycles=cycles,
        empty=sum(p.empty for p in parts),
        claims_per_s=round(claims / args.seconds, 1),
        cycles_per_s=round(cycles / args.seconds, 1),
        p50_ms=round(_percentile(latencies, 0.50), 2),
        p95_ms=round(_percentile(latencies, 0.95), 2),
        p99_ms=round(_percentile(latencies, 0.99), 2),
        double_claims=sum(n - 1 for n in claimed.values() if n > 1),
        fence_failures=sum(p.fence_failures for p in parts),
        errors=len(errors),
        first_errors=errors[:3],
        connections_opened=connections,
        cpu_ms_per_claim=_cpu_per_claim(meter, claims, args.seconds, margin),
        load_avg=load,
    )


def _run_pgbench(
    url: str, seeded: Seeded, args: argparse.Namespace, postmaster: int
) -> PhaseResult:
    """The `repo` phase's statements from pgbench (bench/claims_pgbench.py), same clients."""
    sessions_before = _sessions_opened(url)
    load = os.getloadavg()[0]
    meter = CpuMeter({"postgres": postmaster})  # pgbench is this process's child: "clients"
    # pgbench starts its clock once its clients are connected, a fraction of a second from here.
    with _metered(meter, time.time() + 0.3, args.seconds) as margin, _audit_chainer(url):
        done = claims_pgbench.run(
            url.replace("postgresql+psycopg://", "postgresql://"),
            _NEXT_TASK,
            clients=args.clerks,
            threads=max(1, min(args.procs, args.clerks)),
            seconds=args.seconds,
            queues=len(seeded.queues),
            firm=str(FIRM_ID),
        )
    errors = [done.output] if done.aborted_clients else []
    return PhaseResult(
        phase="pgbench",
        rows=seeded.rows,
        open_rows=seeded.open_rows,
        seconds=args.seconds,
        clerks=args.clerks,
        claims=done.cycles,
        cycles=done.cycles,
        empty=0,
        claims_per_s=done.cycles_per_s,
        cycles_per_s=done.cycles_per_s,
        p50_ms=None,
        p95_ms=None,
        p99_ms=None,
        # A claim handed out twice would fail its fence and abort that pgbench client.
        double_claims=0,
        fence_failures=done.aborted_clients,
        errors=done.aborted_clients,
        first_errors=errors,
        connections_opened=_sessions_opened(url) - sessions_before - 1,
        cpu_ms_per_claim=_cpu_per_claim(meter, done.cycles, args.seconds, margin),
        load_avg=load,
        statement_ms=done.statement_ms,
    )


async def _prepare(cluster: PrivatePostgres, rows: int, args: argparse.Namespace) -> Seeded:
    name = f"bench_seed_{rows}"
    cluster.drop_database(name)
    url = cluster.create_database(name)
    await migrate_and_sync(Settings(database_url=url, env="test"))
    began = time.perf_counter()
    seeded = await seed(url, rows=rows, queues=args.queues, clerks=args.clerks)
    print(
        f"seeded {rows:,} rows ({seeded.open_rows:,} open) in {time.perf_counter() - began:.1f} s"
    )
    return seeded


def _clone(cluster: PrivatePostgres, rows: int, label: str) -> str:
    name = f"bench_{label}_{uuid.uuid4().hex[:6]}"
    return cluster.create_database(name, template=f"bench_seed_{rows}")


class ApiServer:
    """The real API in a uvicorn subprocess (several workers share the port)."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DOCKETFLOW_DATABASE_URL": url,
            "DOCKETFLOW_ENV": "test",
            "DOCKETFLOW_LOG_LEVEL": "WARNING",
            # Claims never reach Temporal; the lazy client is never dialled.
            "DOCKETFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.api_app:app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                # What `docketflow api` runs (cli/main.py): uvloop, httptools, no access log.
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the API server did not come up")

    def tokens(self, clerks: list[Clerk]) -> None:
        for clerk in clerks:
            response = httpx.post(
                f"{self.base}/api/v1/auth/token",
                data={"username": clerk.name, "password": PASSWORD},
                timeout=30,
            )
            response.raise_for_status()
            clerk.token = response.json()["access_token"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _ms(value: float | None) -> str:
    return f"{value:>7.2f}" if value is not None else f"{'-':>7}"


def _print(results: list[PhaseResult]) -> None:
    header = (
        f"{'phase':<12} {'rows':>9} {'claims/s':>9} {'x pgb':>6} {'cycles/s':>9} {'p50':>7} "
        f"{'p95':>7} {'p99':>7} {'double':>6} {'fence':>5} {'err':>4} {'load':>5}"
    )
    print(header)
    for r in results:
        ratio = f"{r.vs_pgbench:>6.2f}" if r.vs_pgbench is not None else f"{'-':>6}"
        print(
            f"{r.phase:<12} {r.rows:>9,} {r.claims_per_s:>9.1f} {ratio} {r.cycles_per_s:>9.1f} "
            f"{_ms(r.p50_ms)} {_ms(r.p95_ms)} {_ms(r.p99_ms)} {r.double_claims:>6} "
            f"{r.fence_failures:>5} {r.errors:>4} {r.load_avg:>5.2f}"
        )
        if r.cpu_ms_per_claim:
            cpu = ", ".join(f"{k} {v:.2f}" for k, v in r.cpu_ms_per_claim.items())
            print(f"{'':<12} CPU ms per claim: {cpu}; {r.connections_opened} connections opened")
        if r.statement_ms:
            each = ", ".join(f"{k}… {v:.2f}" for k, v in r.statement_ms.items())
            print(f"{'':<12} pgbench ms per statement: {each}")


def _set_ratios(results: list[PhaseResult]) -> None:
    """Each phase over the pgbench figure of the same run (same clone, clients, minutes)."""
    ceiling = {r.run: r.claims_per_s for r in results if r.phase == "pgbench"}
    for r in results:
        if ceiling.get(r.run):
            r.vs_pgbench = round(r.claims_per_s / ceiling[r.run], 3)


def _summary(results: list[PhaseResult]) -> dict[str, Any]:
    by: dict[str, list[PhaseResult]] = {}
    for r in results:
        by.setdefault(r.phase, []).append(r)

    def med(phase: str, attr: str) -> float | None:
        values = [v for r in by.get(phase, []) if (v := getattr(r, attr)) is not None]
        return round(statistics.median(values), 3) if values else None

    medians = {
        phase: {
            a: med(phase, a)
            for a in (
                "claims_per_s",
                "cycles_per_s",
                "vs_pgbench",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "load_avg",
            )
        }
        | {"double_claims": sum(r.double_claims for r in runs), "runs": len(runs)}
        for phase, runs in by.items()
    }
    # Median CPU ms per claim of each side, by phase (see CpuMeter).
    cpu = {
        phase: {
            side: round(statistics.median(r.cpu_ms_per_claim.get(side, 0.0) for r in runs), 2)
            for side in runs[0].cpu_ms_per_claim
        }
        for phase, runs in by.items()
    }
    repo, naive, small, api = (medians.get(p, {}) for p in ("repo", "naive", "repo@small", "api"))

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a and b else None

    ratios = {
        "repo_vs_naive": ratio(repo.get("cycles_per_s"), naive.get("cycles_per_s")),
        "repo_1m_vs_small": ratio(repo.get("cycles_per_s"), small.get("cycles_per_s")),
        # Medians of the per-run ratios to pgbench (each run's phases against its own pgbench).
        **{f"{phase}_vs_pgbench": m["vs_pgbench"] for phase, m in medians.items()},
    }
    targets = {
        "repo>=0.8x_pgbench": (repo.get("vs_pgbench") or 0) >= 0.8,
        "api>=0.5x_pgbench": (api.get("vs_pgbench") or 0) >= 0.5,
        "zero_double_claims": all(r.double_claims == 0 for r in results),
        "zero_fence_failures": all(r.fence_failures == 0 for r in results),
        "repo_cycles_per_s>=1000": (repo.get("cycles_per_s") or 0) >= 1000,
        "repo_p99<=50ms": (repo.get("p99_ms") or 1e9) <= 50,
        "repo>=4x_naive": (ratios["repo_vs_naive"] or 0) >= 4,
        "repo_1m>=0.8x_small": (ratios["repo_1m_vs_small"] or 0) >= 0.8,
        "api_claims_per_s>=250": (api.get("claims_per_s") or 0) >= 250,
        "api_p99<=150ms": (api.get("p99_ms") or 1e9) <= 150,
    }
    return {"medians": medians, "cpu_ms_per_claim": cpu, "ratios": ratios, "targets": targets}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clerks", type=int, default=32)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--procs", type=int, default=4, help="client processes the clerks share")
    parser.add_argument("--api-workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--fanout", type=int, default=tasks.CLAIM_FANOUT, help="claim_next tuning")
    parser.add_argument("--window", type=int, default=tasks.CLAIM_WINDOW, help="claim_next tuning")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each phase (medians)")
    parser.add_argument(
        "--phases",
        default="pgbench,repo,api,naive,window,repo@small",
        help="comma-separated subset of pgbench,repo,api,naive,window,repo@small (pgbench runs "
        "first in each run: the others are printed as ratios to it)",
    )
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    phases.sort(key=lambda p: p != "pgbench")  # first: the ratios of the run are to it
    home = Path(tempfile.mkdtemp(prefix="docketflow-bench-"))
    cluster = PrivatePostgres(home)
    cluster.start()
    results: list[PhaseResult] = []
    load_at_start = os.getloadavg()
    try:
        big = asyncio.run(_prepare(cluster, args.rows, args))
        small = (
            asyncio.run(_prepare(cluster, args.small_rows, args))
            if "repo@small" in phases
            else None
        )
        clerks = [Clerk(i, n) for i, n in zip(big.clerk_ids, big.clerk_names, strict=True)]
        postmaster = int((cluster.data_dir / "postmaster.pid").read_text().splitlines()[0])
        for run in range(args.repeat):
            for phase in phases:
                seeded = small if phase == "repo@small" else big
                assert seeded is not None
                url = _clone(cluster, seeded.rows, phase.replace("@", "_"))
                mode = "repo" if phase == "repo@small" else phase
                if mode == "pgbench":
                    result = _run_pgbench(url, seeded, args, postmaster)
                elif mode == "api":
                    server = ApiServer(url, args.api_workers)
                    try:
                        server.tokens(clerks)
                        roots = {"postgres": postmaster, "server": server.process.pid}
                        result = _run_phase(
                            phase, mode, url, seeded, clerks, args, server.base, roots
                        )
                    finally:
                        server.stop()
                else:
                    roots = {"postgres": postmaster}
                    result = _run_phase(phase, mode, url, seeded, clerks, args, None, roots)
                cluster.drop_database(url.rsplit("/", 1)[1])
                result.run = run + 1
                results.append(result)
                _set_ratios(results)
                print(f"run {run + 1}/{args.repeat}:", end=" ")
                _print([result])
    finally:
        cluster.stop()
        # The clusters hold gigabytes at 1M rows: leave nothing behind.
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    print("\nall runs:")
    _print(results)
    summary = _summary(results)
    print("\nmedians:", json.dumps(summary["medians"], indent=1))
    print("CPU ms per claim:", json.dumps(summary["cpu_ms_per_claim"], indent=1))
    print("ratios:", summary["ratios"])
    print("targets:", json.dumps(summary["targets"], indent=1))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"claims-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "command": "python -m bench.claims "
                + " ".join(argv if argv is not None else sys.argv[1:]),
                "at": stamp,
                "machine": {
                    "cpus": os.cpu_count(),
                    # 1, 5 and 15-minute load averages; each phase has its own in `runs`.
                    "load_avg_start": load_at_start,
                    "load_avg_end": os.getloadavg(),
                    "python": platform.python_version(),
                },
                "config": vars(args),
                "runs": [asdict(r) for r in results],
                **summary,
            },
            indent=2,
            default=str,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
