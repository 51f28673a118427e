"""SLA timer benchmark (issue 5): N engagements with open SLA clocks; how late do timers fire?

    python -m bench.sla_timers                                  # 1,000 engagements, 3 runs
    python -m bench.sla_timers --engagements 100 --repeat 1     # a quick look
    python -m bench.sla_timers --engagements 10000 --target-seconds 1500 --concurrency 32 \
        --repeat 1                                              # 10,000 open clocks

Self-contained, on the embedded stack as `docketflow dev` runs it: a private PostgreSQL
(cli/devstack/postgres.py) on a temporary home under /tmp, migrated by the project's revisions,
and the Temporal dev server (cli/devstack/temporal_server.py, `temporal server start-dev` with its
SQLite file), both removed afterwards. Every run gets a fresh database, a fresh Temporal server and
ONE worker in its own process (`python -m cli.main worker`), whose memory is read from
/proc/<pid>/status (VmRSS sampled every 0.5 s, VmHWM as the kernel's peak). The worker's sticky
cache is sized to hold every engagement (`--cached-workflows`, default N): the memory per open
engagement is (VmRSS once every clock is open - VmRSS idle) / N, and no timer waits for a replay.

A manager publishes, through the in-process API, a template with one human step whose SLA is
`{calendar: 24x7, target: PT<target>S, warn_at: [0.5]}`, then creates N engagements through
`POST /api/v1/engagements` (`--concurrency` requests in flight). Each workflow opens its task and
its SLA clock, whose durable timers fire `sla.warning` at start + 0.5 x target and `sla.breached` at
start + target. Nobody works the tasks, so every clock fires both.

Lateness of each firing, against its due instant (the task row's `warn_at`, or the breach event's
`detail.due_at`, which is the task's `due_at`):

- `timer`   the event's `at`: `workflow.now()` of the workflow task that woke on the timer;
- `written` the audit row's `at` (`now()`, the start of the activity's transaction that writes
            the timeline event; joined on the event key = the audit dedupe key);
- `seen`    when this script's poller (every `--poll` s) first saw the committed event row.

Prints a table per run and the medians over runs, and writes bench/results/sla_timers.json.
Target: p99 lateness <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.app import create_app
from cli.bootstrap import add_user, migrate_and_sync
from cli.devstack.postgres import PrivatePostgres
from cli.devstack.temporal_server import TemporalDevServer
from core.settings import Settings
from domain.enums import Role

RESULTS = Path(__file__).parent / "results"
PASSWORD = "correct-horse-battery"
TEMPLATE_KEY = "bench-sla-timer"
TARGET_P99_S = 1.0
KINDS = {"sla.warning": "warning", "sla.breached": "breach"}

# Every firing, with its due instant and the three "fired" instants; one row per event.
_FIRINGS = text(
    """
    SELECT e.key, e.type, e.at AS timer_at, a.at AS written_at,
           CASE WHEN e.type = 'sla.warning' THEN t.warn_at
                ELSE (e.detail ->> 'due_at')::timestamptz END AS due
    FROM engagement_events e
    JOIN tasks t ON t.id = (e.detail ->> 'task_id')::uuid
    LEFT JOIN audit_log a ON a.dedupe_key = e.key
    WHERE e.type IN ('sla.warning', 'sla.breached')
    """
)
_NEW_EVENTS = text(
    "SELECT id, key FROM engagement_events "
    "WHERE id > :after AND type IN ('sla.warning', 'sla.breached') ORDER BY id"
)
# How long after its engagement was created each clock started (the worker's backlog).
_START_DELAYS = text(
    "SELECT extract(epoch FROM t.created_at - e.created_at) AS delay "
    "FROM tasks t JOIN engagements e ON e.id = t.engagement_id WHERE t.due_at IS NOT NULL"
)
_CLOCKS = text(
    "SELECT count(*) AS n, min(created_at) AS first_created, max(created_at) AS last_created, "
    "min(warn_at) AS first_warn, max(due_at) AS last_due FROM tasks WHERE due_at IS NOT NULL"
)


def template(target_s: float) -> dict[str, Any]:
    return {
        "key": TEMPLATE_KEY,
        "name": "SLA timer benchmark: one human step on a wall-clock SLA",
        "steps": [
            {
                "id": "work",
                "kind": "human",
                "queue": "bench-sla",
                "outcomes": {"done": "end"},
                "sla": {"calendar": "24x7", "target": f"PT{target_s:g}S", "warn_at": [0.5]},
            }
        ],
    }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Lateness:
    count: int
    p50_s: float
    p99_s: float
    max_s: float
    min_s: float

    @classmethod
    def of(cls, values: list[float]) -> Lateness:
        return cls(
            count=len(values),
            p50_s=round(_percentile(values, 0.50), 3),
            p99_s=round(_percentile(values, 0.99), 3),
            max_s=round(max(values), 3) if values else float("nan"),
            min_s=round(min(values), 3) if values else float("nan"),
        )


@dataclass
class RunResult:
    run: int
    engagements: int
    target_s: float
    create_s: float
    create_per_s: float
    create_errors: int
    clocks_open_at_once: int
    clock_start_delay: dict[str, Any]
    all_clocks_started_s: float
    last_task_created_before_first_warning_s: float
    warnings_fired: int
    breaches_fired: int
    expected_each: int
    lateness: dict[str, dict[str, Any]]
    cached_workflows: int
    worker_rss_mb_idle: float
    # VmRSS once every clock is open (before the first warning), and its growth per engagement.
    worker_rss_mb_all_open: float
    worker_rss_kb_per_engagement: float
    worker_rss_mb_peak_sampled: float
    worker_rss_mb_hwm: float
    worker_rss_mb_end: float
    load_avg_start: tuple[float, float, float]
    load_avg_end: tuple[float, float, float]
    first_errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- the worker


class WorkerProcess:
    """`python -m cli.main worker` on the run's database and Temporal, logging to a file."""

    def __init__(self, settings: Settings, log_file: Path, cached_workflows: int) -> None:
        env = {
            **os.environ,
            "DOCKETFLOW_WORKER_CACHED_WORKFLOWS": str(cached_workflows),
            "DOCKETFLOW_ENV": "test",
            "DOCKETFLOW_DATABASE_URL": settings.database_url,
            "DOCKETFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
            "DOCKETFLOW_TASK_QUEUE": settings.task_queue,
            "DOCKETFLOW_DOCUMENT_ROOT": str(log_file.parent / "documents"),
        }
        self.log_file = log_file
        self._log = log_file.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )
        self.samples_kb: list[int] = []

    async def ready(self, within: float = 90) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited early; see {self.log_file}")
            if b"worker.started" in self.log_file.read_bytes():
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the worker did not start; see {self.log_file}")

    def status_kb(self, field_name: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        return 0

    async def sample(self, every: float = 0.5) -> None:
        while self.process.poll() is None:
            try:
                self.samples_kb.append(self.status_kb("VmRSS"))
            except OSError:
                return
            await asyncio.sleep(every)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# ---------------------------------------------------------------------------- the API, in-process


@asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=120
        ) as http:
            yield http


async def _token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _create_engagements(
    http: httpx.AsyncClient, auth: dict[str, str], firm_id: str, n: int, concurrency: int
) -> tuple[float, list[str]]:
    errors: list[str] = []
    numbers = iter(range(n))

    async def creator() -> None:
        for i in numbers:
            response = await http.post(
                "/api/v1/engagements",
                headers=auth,
                json={
                    "firm_id": firm_id,
                    "template": TEMPLATE_KEY,
                    "title": f"SLA bench {i}",
                    "matter_ref": f"BENCH-{i:05d}",
                    "inputs": {},
                },
            )
            if response.status_code != 201:
                errors.append(f"{response.status_code} {response.text[:200]}")

    began = time.perf_counter()
    await asyncio.gather(*(creator() for _ in range(concurrency)))
    return time.perf_counter() - began, errors


# ---------------------------------------------------------------------------- measuring


async def _poll_events(engine: AsyncEngine, seen: dict[str, datetime], every: float) -> None:
    """Timestamp each SLA event row the moment this poller first sees it committed."""
    after = 0
    while True:
        async with engine.connect() as connection:
            rows = (await connection.execute(_NEW_EVENTS, {"after": after})).all()
        now = datetime.now(UTC)
        for row in rows:
            seen.setdefault(row.key, now)
            after = max(after, row.id)
        await asyncio.sleep(every)


async def _wait_for_firings(seen: dict[str, datetime], expected: int, seconds: float) -> None:
    for _ in range(int(seconds * 2) + 1):
        if len(seen) >= expected:
            return
        await asyncio.sleep(0.5)


async def _clocks(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(_CLOCKS)).one()


async def _start_delays(engine: AsyncEngine) -> list[float]:
    async with engine.connect() as connection:
        return [float(row.delay) for row in (await connection.execute(_START_DELAYS)).all()]


async def _open_at_once(engine: AsyncEngine, target_s: float) -> int:
    """The most clocks running at one instant: overlap of [due - target, due] intervals."""
    async with engine.connect() as connection:
        dues = [
            row.due_at
            for row in (
                await connection.execute(text("SELECT due_at FROM tasks WHERE due_at IS NOT NULL"))
            ).all()
        ]
    edges = [(d - timedelta(seconds=target_s), 1) for d in dues] + [(d, -1) for d in dues]
    running = best = 0
    for _, step in sorted(edges):
        running += step
        best = max(best, running)
    return best


async def _lateness(
    engine: AsyncEngine, seen: dict[str, datetime]
) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(_FIRINGS)).all()
    values: dict[str, list[float]] = {}
    fired: dict[str, int] = {"warning": 0, "breach": 0}
    for row in rows:
        kind = KINDS[row.type]
        fired[kind] += 1
        instants = {"timer": row.timer_at, "written": row.written_at, "seen": seen.get(row.key)}
        for measure, instant in instants.items():
            if instant is not None:
                values.setdefault(f"{kind}.{measure}", []).append(
                    (instant - row.due).total_seconds()
                )
    return {k: asdict(Lateness.of(v)) for k, v in sorted(values.items())}, fired


# ---------------------------------------------------------------------------- one run


async def _run(
    run: int, cluster: PrivatePostgres, home: Path, args: argparse.Namespace
) -> RunResult:
    load_start = os.getloadavg()
    database = f"sla_bench_{run}_{uuid.uuid4().hex[:6]}"
    url = cluster.create_database(database)
    temporal = TemporalDevServer(home / f"temporal-{run}", headless=True)
    temporal_address = await asyncio.to_thread(temporal.start)
    settings = Settings(
        env="test",
        database_url=url,
        temporal_address=temporal_address,
        task_queue=f"bench-sla-{uuid.uuid4().hex[:8]}",
        log_json=False,
    )
    await migrate_and_sync(settings)
    await add_user(settings, "maria", Role.MANAGER, PASSWORD, None, ["drafting"])
    cached = args.cached_workflows or args.engagements
    worker = WorkerProcess(settings, home / f"worker-{run}.log", cached)
    engine = create_async_engine(url, pool_size=2)
    seen: dict[str, datetime] = {}
    background: list[asyncio.Task[None]] = []
    try:
        await worker.ready()
        background.append(asyncio.create_task(worker.sample()))
        await asyncio.sleep(2)  # let the worker settle before reading its idle memory
        rss_idle = worker.status_kb("VmRSS")
        async with running_api(settings) as http:
            auth = await _token(http, "maria")
            firm = await http.post("/api/v1/firms", headers=auth, json={"name": "Bench LLP"})
            firm.raise_for_status()
            published = await http.post(
                "/api/v1/templates",
                headers=auth,
                json={"definition": template(args.target_seconds)},
            )
            assert published.status_code == 201, published.text
            background.append(asyncio.create_task(_poll_events(engine, seen, args.poll)))
            create_s, errors = await _create_engagements(
                http, auth, firm.json()["id"], args.engagements, args.concurrency
            )
        print(
            f"  created {args.engagements - len(errors)} engagements in {create_s:.1f} s "
            f"({len(errors)} errors)",
            flush=True,
        )
        expected = 2 * (args.engagements - len(errors))
        # Every clock's task exists once the backlog drains; then wait past the last due time.
        clocks = await _clocks(engine)
        while clocks.n < args.engagements - len(errors):
            await asyncio.sleep(0.5)
            clocks = await _clocks(engine)
        rss_all_open = worker.status_kb("VmRSS")
        print(
            f"  all {clocks.n} clocks open; worker VmRSS {rss_all_open / 1024:.1f} MB "
            f"(idle {rss_idle / 1024:.1f} MB); first warning due in "
            f"{(clocks.first_warn - datetime.now(UTC)).total_seconds():.0f} s",
            flush=True,
        )
        remaining = (clocks.last_due - datetime.now(UTC)).total_seconds()
        await _wait_for_firings(seen, expected, max(remaining, 0) + args.grace)
        await asyncio.sleep(1)  # a last poll
        rss_end = worker.status_kb("VmRSS")
        rss_hwm = worker.status_kb("VmHWM")
        lateness, fired = await _lateness(engine, seen)
        open_at_once = await _open_at_once(engine, args.target_seconds)
        start_delays = await _start_delays(engine)
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await engine.dispose()
        worker.stop()
        temporal.stop()
        cluster.drop_database(database)
    return RunResult(
        run=run,
        engagements=args.engagements,
        target_s=args.target_seconds,
        create_s=round(create_s, 2),
        create_per_s=round((args.engagements - len(errors)) / create_s, 1),
        create_errors=len(errors),
        clocks_open_at_once=open_at_once,
        clock_start_delay=asdict(Lateness.of(start_delays)),
        all_clocks_started_s=round((clocks.last_created - clocks.first_created).total_seconds(), 1),
        last_task_created_before_first_warning_s=round(
            (clocks.first_warn - clocks.last_created).total_seconds(), 2
        ),
        warnings_fired=fired["warning"],
        breaches_fired=fired["breach"],
        expected_each=args.engagements - len(errors),
        lateness=lateness,
        cached_workflows=cached,
        worker_rss_mb_idle=round(rss_idle / 1024, 1),
        worker_rss_mb_all_open=round(rss_all_open / 1024, 1),
        worker_rss_kb_per_engagement=round((rss_all_open - rss_idle) / clocks.n, 1),
        worker_rss_mb_peak_sampled=round(max(worker.samples_kb, default=0) / 1024, 1),
        worker_rss_mb_hwm=round(rss_hwm / 1024, 1),
        worker_rss_mb_end=round(rss_end / 1024, 1),
        load_avg_start=load_start,
        load_avg_end=os.getloadavg(),
        first_errors=errors[:3],
    )


# ---------------------------------------------------------------------------- output


def _print(result: RunResult) -> None:
    print(
        f"  fired: {result.warnings_fired}/{result.expected_each} warnings, "
        f"{result.breaches_fired}/{result.expected_each} breaches; "
        f"clocks open at once: {result.clocks_open_at_once} "
        f"(the last one started {result.last_task_created_before_first_warning_s:+.1f} s "
        "before the first warning fired)"
    )
    delay = result.clock_start_delay
    print(
        f"  clocks started {result.all_clocks_started_s} s apart; engagement created -> clock "
        f"started: p50 {delay['p50_s']} s, p99 {delay['p99_s']} s, max {delay['max_s']} s"
    )
    print(f"  {'lateness (s)':<18} {'n':>5} {'p50':>7} {'p99':>7} {'max':>7} {'min':>7}")
    for name, figures in result.lateness.items():
        print(
            f"  {name:<18} {figures['count']:>5} {figures['p50_s']:>7.3f} "
            f"{figures['p99_s']:>7.3f} {figures['max_s']:>7.3f} {figures['min_s']:>7.3f}"
        )
    print(
        f"  worker RSS: idle {result.worker_rss_mb_idle} MB, all clocks open "
        f"{result.worker_rss_mb_all_open} MB ({result.worker_rss_kb_per_engagement} KB per "
        f"engagement, cache {result.cached_workflows}), peak {result.worker_rss_mb_hwm} MB "
        f"(VmHWM; sampled {result.worker_rss_mb_peak_sampled}), end {result.worker_rss_mb_end} MB"
    )
    print(
        "  load average: start {:.2f} {:.2f} {:.2f}, end {:.2f} {:.2f} {:.2f}".format(
            *result.load_avg_start, *result.load_avg_end
        ),
        flush=True,
    )


def _summary(results: list[RunResult]) -> dict[str, Any]:
    def med(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    names = sorted({name for r in results for name in r.lateness})
    lateness = {
        name: {
            stat: med([r.lateness[name][stat] for r in results if name in r.lateness])
            for stat in ("p50_s", "p99_s", "max_s")
        }
        for name in names
    }
    scalars = {
        attr: med([getattr(r, attr) for r in results])
        for attr in (
            "create_s",
            "create_per_s",
            "clocks_open_at_once",
            "all_clocks_started_s",
            "worker_rss_mb_idle",
            "worker_rss_mb_all_open",
            "worker_rss_kb_per_engagement",
            "worker_rss_mb_hwm",
            "worker_rss_mb_end",
        )
    }
    all_fired = all(
        r.warnings_fired == r.breaches_fired == r.expected_each == r.engagements for r in results
    )
    p99s = [
        lateness.get(f"{k}.{m}", {}).get("p99_s", 1e9)
        for k in KINDS.values()
        for m in ("timer", "written")
    ]
    return {
        "medians": {"lateness": lateness, **scalars},
        "targets": {
            "p99_lateness<=1s": all(p <= TARGET_P99_S for p in p99s),
            "every_warning_and_breach_fired": all_fired,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engagements", type=int, default=1000)
    parser.add_argument(
        "--target-seconds",
        type=float,
        default=240.0,
        help="the SLA target; warnings fire at half of it. Long enough that every clock is "
        "open before the first warning fires (the output checks it)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs (medians are reported)")
    parser.add_argument("--concurrency", type=int, default=16, help="creation requests in flight")
    parser.add_argument(
        "--cached-workflows",
        type=int,
        default=0,
        help="the worker's sticky cache (DOCKETFLOW_WORKER_CACHED_WORKFLOWS); 0: --engagements",
    )
    parser.add_argument("--poll", type=float, default=0.25, help="event poll interval, seconds")
    parser.add_argument("--grace", type=float, default=120.0, help="wait past the last due time")
    parser.add_argument("--out", type=Path, default=RESULTS / "sla_timers.json")
    args = parser.parse_args(argv)
    # Started in the background, a shell ignores SIGINT for us; either signal must still stop the
    # worker, the Temporal server and the cluster through the `finally` blocks.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    home = Path(tempfile.mkdtemp(prefix="docketflow-bench-sla-", dir="/tmp"))
    cluster = PrivatePostgres(home)
    cluster.start()
    print(
        "embedded stack as `docketflow dev` runs it: private PostgreSQL "
        f"(port {cluster.port}) and the Temporal dev server (SQLite file) under {home}; "
        f"one worker process; {os.cpu_count()} CPUs, load average "
        "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        flush=True,
    )
    results: list[RunResult] = []
    try:
        for run in range(1, args.repeat + 1):
            print(
                f"run {run}/{args.repeat}: {args.engagements} engagements, "
                f"SLA target {args.target_seconds:g} s, warn at 50 %",
                flush=True,
            )
            result = asyncio.run(_run(run, cluster, home, args))
            results.append(result)
            _print(result)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    summary = _summary(results)
    print("\nmedians over runs:", json.dumps(summary["medians"], indent=1))
    print("targets:", json.dumps(summary["targets"], indent=1))
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "command": "python -m bench.sla_timers "
                + " ".join(argv if argv is not None else sys.argv[1:]),
                "at": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
                "stack": "embedded (docketflow dev): private PostgreSQL, Temporal dev server "
                "(start-dev, SQLite file), one worker process",
                "machine": {
                    "cpus": os.cpu_count(),
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
