"""Dashboard benchmark: 1,000,000 task rows, each dashboard endpoint through the API, and the SQL
alone with and without the dashboard indexes (migrations 0004, 0006, 0008a, 0012), in one run.

    .venv/bin/python bench/dashboard.py [--tasks 1000000] [--runs 60]

Starts a private PostgreSQL on a temporary home (fsync off: this measures reads), migrates it,
seeds it server-side with generate_series (ids are md5-derived UUIDs, so no lookups), then:
- API: p50/p95 of each dashboard endpoint through the ASGI app in-process (the full stack:
  auth, scoping, SQL, serialisation), as a partner (one firm) and as a manager (one firm, and
  all firms where that is the default view);
- SQL: the median of each dashboard query with the indexes, then inside a transaction that drops
  them (rolled back), and the ratio.
Prints the figures and writes bench/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import and_, case, func, literal_column, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.routes import calendar_feed as calendar_routes
from cli.devstack.postgres import PrivatePostgres
from core.security import hash_password
from core.settings import DatabaseLimits, Settings
from store import migrate
from store.db import make_engine, make_session_factory
from store.models import Engagement, Firm, Task
from store.repositories import calendar_feed, dashboard, dashboard_rollup
from store.repositories.dashboard import GroupBy

RESULTS = Path(__file__).parent / "results" / "dashboard.json"
FIRMS = 20
CLERKS = 60
PASSWORD = "bench-password-123"
DASH_INDEXES = (
    "ix_tasks_dash_firm_completed_tpl",
    "ix_tasks_dash_completed_tpl",
    "ix_tasks_dash_firm_open_tpl",
    "ix_tasks_dash_open_queue",
    "ix_tasks_dash_open_due",
    "ix_tasks_dash_open_template",
    "ix_tasks_feed_firm_due",
    "ix_engagements_dash_template",
)
ROLLUP_TRIGGER = "tasks_dashboard_rollup_insert"
TEMPLATE_TRIGGER = "tasks_template_key"  # the seed writes template_key itself
TEMPLATES = (
    "draft-qc-efile", "medical-records-demand", "document-review", "contract-review",
    "client-intake", "legal-research", "billing-collections", "exhibit-compilation",
)  # fmt: skip
QUEUES = ("drafting", "qc", "records", "review", "intake", "research")


def _seed_sql(tasks: int) -> list[str]:
    engagements = max(tasks // 10, 1)
    templates = "ARRAY[" + ",".join(f"'{t}'" for t in TEMPLATES) + "]"
    queues = "ARRAY[" + ",".join(f"'{q}'" for q in QUEUES) + "]"
    return [
        f"""INSERT INTO firms (id, name, timezone, business_hours, holidays)
            SELECT md5('f' || i)::uuid, 'Firm ' || i, 'America/New_York', '{{}}'::jsonb,
                   '{{US-FED}}' FROM generate_series(0, {FIRMS - 1}) i""",
        f"""INSERT INTO engagements (id, firm_id, template_key, template_version, title,
                matter_ref, priority, status, inputs, court_deadline, workflow_id, created_at)
            SELECT md5('e' || i)::uuid, md5('f' || (i % {FIRMS}))::uuid,
                   ({templates})[1 + i % {len(TEMPLATES)}], 1, 'Engagement ' || i,
                   'M-' || i, 'normal', CASE WHEN abs(hashint8(i)) % 400 = 0 THEN 'running'
                        ELSE 'completed' END,
                   '{{}}'::jsonb,
                   CASE WHEN abs(hashint8(i)) % 400 = 0
                        THEN now() + (i % 30) * interval '1 day' END,
                   'engagement-' || i, now() - (i % 365) * interval '1 day'
            FROM generate_series(0, {engagements - 1}) i""",
        # 97% completed over the past year (about one in six late), 2% open, 1% claimed, recent.
        f"""INSERT INTO tasks (id, engagement_id, firm_id, step_id, visit, kind, title, queue,
                priority, status, assignee_id, outcomes, created_at, due_at, completed_at,
                completed_by, claimed_at, template_key)
            SELECT md5('t' || i)::uuid, md5('e' || e)::uuid, md5('f' || (e % {FIRMS}))::uuid,
                   'step' || (i % 5), i, 'human', 'Task ' || i, ({queues})[1 + i % {len(QUEUES)}],
                   i % 4, s.status,
                   CASE WHEN s.status <> 'open' THEN md5('u' || (i % {CLERKS}))::uuid END,
                   '{{done}}', s.created, s.created + interval '1 hour' * (8 + i % 40),
                   CASE WHEN s.status = 'completed'
                        THEN LEAST(now(),
                                   s.created + interval '1 minute' * ((i * 7919) % 3000))
                   END,
                   CASE WHEN s.status = 'completed' THEN md5('u' || (i % {CLERKS}))::uuid END,
                   CASE WHEN s.status = 'claimed' THEN now() END,
                   ({templates})[1 + e % {len(TEMPLATES)}]
            FROM generate_series(0::bigint, {tasks - 1}) i
            CROSS JOIN LATERAL (SELECT i % {engagements} AS e) k
            CROSS JOIN LATERAL (SELECT abs(hashint8(i)) % 100 AS h) r
            CROSS JOIN LATERAL (
                SELECT CASE WHEN r.h < 97 THEN 'completed'
                            WHEN r.h < 99 THEN 'open' ELSE 'claimed' END AS status,
                       CASE WHEN r.h < 97
                            THEN now() - interval '1 second' * (abs(hashint8(-i)) % 31536000)
                            ELSE now() - interval '1 second' * (abs(hashint8(-i)) % 864000) END
                       AS created
            ) s""",
    ]


async def _seed(sessions: Any, tasks: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    async with sessions.begin() as session:
        # Indexes are built after the rows (much faster than maintaining them row by row).
        defs = (
            await session.execute(
                text(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    "WHERE i.tablename = 'tasks' AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                    "WHERE c.conindid = (i.schemaname || '.' || i.indexname)::regclass)"
                )
            )
        ).all()
        for name, _ in defs:
            await session.execute(text(f"DROP INDEX {name}"))
        started = time.perf_counter()
        firms_sql, *rows_sql = _seed_sql(tasks)
        await session.execute(text(firms_sql))
        password = hash_password(PASSWORD)
        await session.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, firm_id, skills) VALUES "
                "(gen_random_uuid(), 'manager', :pw, 'manager', NULL, '{}'), "
                "(gen_random_uuid(), 'partner', :pw, 'partner', md5('f0')::uuid, '{}')"
            ),
            {"pw": password},
        )
        await session.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, skills) "
                f"SELECT md5('u' || i)::uuid, 'clerk' || i, :pw, 'clerk', '{{}}' "
                f"FROM generate_series(0, {CLERKS - 1}) i"
            ),
            {"pw": password},
        )
        # Row by row the rollup trigger would upsert a million times: off for the bulk insert,
        # then the migration's own backfill builds the rollup in one statement.
        for trigger in (ROLLUP_TRIGGER, TEMPLATE_TRIGGER):
            await session.execute(text(f"ALTER TABLE tasks DISABLE TRIGGER {trigger}"))
        for statement in rows_sql:
            await session.execute(text(statement))
        for trigger in (ROLLUP_TRIGGER, TEMPLATE_TRIGGER):
            await session.execute(text(f"ALTER TABLE tasks ENABLE TRIGGER {trigger}"))
        timings["insert_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        await session.execute(text("DELETE FROM dashboard_rollups"))
        await session.execute(text(_rollup_migration().BACKFILL))
        timings["rollup_backfill_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in defs:
            await session.execute(text(definition))
        timings["index_seconds"] = time.perf_counter() - started
    return timings


def _rollup_migration() -> Any:
    path = Path(migrate.__file__).parent / "migrations/versions/0006_dashboard_rollups.py"
    spec = importlib.util.spec_from_file_location("dashboard_rollups_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _vacuum(url: str) -> int:
    """VACUUM ANALYZE on a plain autocommit connection; returns the tasks pages not all-visible
    (index-only scans need the visibility map set, as autovacuum keeps it in production)."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute("VACUUM (ANALYZE, FREEZE)")
        row = await (
            await conn.execute(
                "SELECT relpages - relallvisible FROM pg_class WHERE relname = 'tasks'"
            )
        ).fetchone()
    return int(row[0]) if row else -1


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _time(call: Callable[[], Awaitable[Any]], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _api(settings: Settings, runs: int) -> dict[str, dict[str, float]]:
    app = create_app(settings)
    firm = uuid.UUID(_md5("f0"))
    results: dict[str, dict[str, float]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            tokens = {}
            for user in ("manager", "partner"):
                response = await http.post(
                    "/api/v1/auth/token", data={"username": user, "password": PASSWORD}
                )
                response.raise_for_status()
                tokens[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
            cases = [
                ("partner", "sla (30 days, by template)", "/api/v1/dashboard/sla"),
                ("partner", "sla (30 days, by clerk)", "/api/v1/dashboard/sla?group_by=clerk"),
                ("partner", "queues", "/api/v1/dashboard/queues"),
                ("partner", "trends (30 days)", "/api/v1/dashboard/trends"),
                ("partner", "attention", "/api/v1/dashboard/attention"),
                ("partner", "sla csv", "/api/v1/dashboard/sla?format=csv"),
                ("partner", "deadlines.ics", f"/api/v1/firms/{firm}/deadlines.ics"),
                ("manager", "sla one firm", f"/api/v1/dashboard/sla?firm_id={firm}"),
                ("manager", "queues all firms", "/api/v1/dashboard/queues"),
                ("manager", "attention all firms", "/api/v1/dashboard/attention"),
                ("manager", "sla all firms (30 days)", "/api/v1/dashboard/sla"),
                ("manager", "trends all firms (30 days)", "/api/v1/dashboard/trends"),
            ]
            for user, name, path in cases:

                async def call(path: str = path, user: str = user) -> None:
                    response = await http.get(path, headers=tokens[user])
                    response.raise_for_status()

                samples = await _time(call, runs)
                results[f"{user}: {name}"] = {
                    "p50_ms": round(_pct(samples, 0.5), 2),
                    "p95_ms": round(_pct(samples, 0.95), 2),
                }
    return results


def _md5(value: str) -> str:
    return hashlib.md5(value.encode()).hexdigest()


async def _sql(sessions: Any, runs: int) -> dict[str, dict[str, float]]:
    firm = uuid.UUID(_md5("f0"))
    now = datetime.now(UTC)
    start = now - timedelta(days=30)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    queries: dict[str, Any] = {
        "completed stats, firm, 30 days, by queue": dashboard.completed_stats_query(
            firm, start, now, GroupBy.QUEUE
        ),
        "completed stats, firm, 30 days, by template": dashboard.completed_stats_query(
            firm, start, now, GroupBy.TEMPLATE
        ),
        "open stats, firm": dashboard.open_stats_query(firm, now, GroupBy.QUEUE),
        "queue board (open work by queue and age), firm": dashboard.open_work_query(firm, now),
        "queue board (open work by queue and age), all firms": dashboard.open_work_query(None, now),
        "clerk load, firm": dashboard.clerks_query(firm, day_start),
        "trends, firm, 30 days": dashboard.trends_query(firm, start, now, "America/New_York"),
        "completed, all firms, today so far (live edge), by template": (
            dashboard.live_completed_query(day_start, now, GroupBy.TEMPLATE)
        ),
        "open stats, all firms, by template": dashboard.open_stats_query(
            None, now, GroupBy.TEMPLATE
        ),
        "deadlines feed change marker, firm": (calendar_feed._MARKER, {"firm_id": firm}),
    }

    async def measure(session: AsyncSession) -> dict[str, float]:
        medians = {}
        for name, query in queries.items():
            statement, params = query if isinstance(query, tuple) else (query, {})

            async def call(statement: Any = statement, params: Any = params) -> None:
                (await session.execute(statement, params)).all()

            medians[name] = statistics.median(await _time(call, runs))
        return medians

    async with sessions() as session:
        with_indexes = await measure(session)
    async with sessions() as session, session.begin():
        for name in DASH_INDEXES:
            await session.execute(text(f"DROP INDEX {name}"))
        without = await measure(session)
        await session.rollback()  # the indexes come back
    return {
        name: {
            "with_ms": round(with_indexes[name], 3),
            "without_ms": round(without[name], 3),
            "speedup": round(without[name] / with_indexes[name], 1),
        }
        for name in queries
    }


async def _breakdown(sessions: Any, runs: int) -> dict[str, Any]:
    """Where the slow views' time goes: the attention plan, the rollup against the live
    aggregate (time and percentile error), the calendar feed by part, the trigger's write cost."""
    firm = uuid.UUID(_md5("f0"))
    now = datetime.now(UTC)
    start = now - timedelta(days=30)
    out: dict[str, Any] = {}

    async def median(call: Callable[[], Awaitable[Any]]) -> float:
        return round(statistics.median(await _time(call, runs)), 3)

    async with sessions() as session:
        attention = (
            select(Task.id)
            .where(
                Task.status.op("IN")(literal_column("('open', 'claimed')")),
                or_(dashboard.is_breached(now), dashboard.is_at_risk(now)),
            )
            .order_by(Task.due_at, Task.priority, Task.id)
            .limit(100)
        )
        compiled = attention.compile(
            dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
        )
        plan = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))
        out["attention_all_firms_plan"] = [r[0] for r in plan]

        live = dashboard.completed_stats_query(None, start, now, GroupBy.TEMPLATE)
        whole_days, edge_ranges = dashboard._edges(start, now)
        assert whole_days is not None
        days = whole_days

        async def edges() -> None:
            for low, high in edge_ranges:
                query = dashboard.live_completed_query(low, high, GroupBy.TEMPLATE)
                (await session.execute(query)).all()

        exact = {r.key: r for r in await session.execute(live)}
        rows, total = await dashboard.sla(session, None, start, now, GroupBy.TEMPLATE, now)
        out["sla_all_firms"] = {
            "live_aggregate_ms": await median(lambda: session.execute(live)),
            "rollup_ms": await median(
                lambda: dashboard.sla(session, None, start, now, GroupBy.TEMPLATE, now)
            ),
            # its parts: completed whole days from the rollup, the partial edge days live,
            # open work now
            "part_rollup_days_ms": await median(
                lambda: dashboard_rollup.tallies(session, *days, "template")
            ),
            "part_live_edges_ms": await median(edges),
            "part_open_by_template_ms": await median(
                lambda: session.execute(dashboard.open_stats_query(None, now, GroupBy.TEMPLATE))
            ),
            "counts_equal": all(
                exact[r.key].completed == r.completed and exact[r.key].met == r.met for r in rows
            )
            and exact[None].completed == total.completed,
            "p50_exact_s": round(float(exact[None].p50), 1),
            "p50_rollup_s": round(total.cycle_p50_seconds or 0, 1),
            "p90_exact_s": round(float(exact[None].p90), 1),
            "p90_rollup_s": round(total.cycle_p90_seconds or 0, 1),
            "max_group_p50_error_pct": round(
                max(
                    abs((r.cycle_p50_seconds or 0) / float(exact[r.key].p50) - 1) * 100
                    for r in rows
                ),
                1,
            ),
        }

        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        out["queues_all_firms"] = {
            "plan_open_work": await _plan(session, dashboard.open_work_query(None, now)),
            "plan_clerks": await _plan(session, dashboard.clerks_query(None, day_start)),
            # the view's two statements: open work by queue and age in one scan, clerk load
            "open_work_ms": await median(lambda: dashboard.open_work(session, None, now)),
            "clerks_ms": await median(lambda: dashboard.clerks(session, None, day_start)),
            # before 0012: the aging buckets were a second scan of the same open work
            "separate_aging_scan_ms": await median(
                lambda: session.execute(_aging_scan_before_0012(now))
            ),
        }
        one_firm = dashboard.completed_stats_query(firm, start, now, GroupBy.TEMPLATE)
        out["sla_one_firm"] = {
            "plan_completed_by_template": await _plan(session, one_firm),
            "plan_open_by_template": await _plan(
                session, dashboard.open_stats_query(firm, now, GroupBy.TEMPLATE)
            ),
            "repository_ms": await median(
                lambda: dashboard.sla(session, firm, start, now, GroupBy.TEMPLATE, now)
            ),
            "completed_by_template_ms": await median(lambda: session.execute(one_firm)),
            # before 0012: the template from the firm's engagements, joined
            "completed_by_template_engagement_join_ms": await median(
                lambda: session.execute(_one_firm_by_engagement_template(firm, start, now))
            ),
        }

        firm_row = await session.get(Firm, firm)
        assert firm_row is not None
        await calendar_routes.build_feed(session, firm_row, now)  # records every event once
        await session.commit()
        feed = await calendar_feed.snapshot(session, firm)
        items = calendar_routes._items(feed)
        versions = {uid: said.version for uid, said in feed.said.items()}
        out["calendar_feed"] = {
            "events": len(items),
            # a fetch of an unchanged feed: the change marker, then the cached body
            "change_marker_sql_ms": await median(lambda: calendar_feed.feed_marker(session, firm)),
            # a fetch after a change: rows and counters in one statement, fingerprints, render
            "snapshot_sql_ms": await median(lambda: calendar_feed.snapshot(session, firm)),
            "items_and_fingerprints_ms": await median(
                lambda: asyncio.sleep(0, [i.fingerprint for i in calendar_routes._items(feed)])
            ),
            "render_ms": await median(
                lambda: asyncio.sleep(
                    0, calendar_routes.render_calendar(firm_row, items, versions, now)
                )
            ),
            "rebuild_unchanged_ms": await median(
                lambda: calendar_routes.build_feed(session, firm_row, now)
            ),
        }

    # The trigger's cost on completion: 1,000 open tasks completed in one statement, with and
    # without the rollup trigger (each rolled back).
    complete = text(
        "UPDATE tasks SET status = 'completed', completed_at = now() WHERE id IN "
        "(SELECT id FROM tasks WHERE status = 'open' ORDER BY id LIMIT 1000)"
    )
    cost = {}
    for label, toggle in (("with_trigger_ms", "ENABLE"), ("without_trigger_ms", "DISABLE")):
        samples = []
        for _ in range(5):
            async with sessions() as session, session.begin():
                await session.execute(
                    text(f"ALTER TABLE tasks {toggle} TRIGGER tasks_dashboard_rollup_update")
                )
                started = time.perf_counter()
                await session.execute(complete)
                samples.append((time.perf_counter() - started) * 1000)
                await session.rollback()
        cost[label] = round(statistics.median(samples), 1)
    out["complete_1000_tasks"] = cost
    return out


async def _plan(session: AsyncSession, query: Any) -> list[str]:
    dialect = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
    compiled = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    await session.execute(text(str(compiled)))  # warm, as the timed runs are
    return [r[0] for r in await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))]


def _aging_scan_before_0012(now: datetime) -> Any:
    age = now - Task.created_at
    bucket = case(
        *[(age >= bound, label) for label, bound in reversed(dashboard.AGING_BUCKETS[1:])],
        else_=dashboard.AGING_BUCKETS[0][0],
    )
    return (
        select(bucket.label("bucket"), func.count())
        .where(Task.status.op("IN")(literal_column("('open', 'claimed')")))
        .group_by(literal_column("bucket"))
    )


def _one_firm_by_engagement_template(firm: uuid.UUID, start: datetime, end: datetime) -> Any:
    on = and_(Engagement.id == Task.engagement_id, Engagement.firm_id == firm)
    return (
        select(
            Engagement.template_key,
            func.count(),
            func.count().filter(or_(Task.due_at.is_(None), Task.completed_at <= Task.due_at)),
            func.percentile_cont(0.5).within_group(Task.completed_at - Task.created_at),
            func.percentile_cont(0.9).within_group(Task.completed_at - Task.created_at),
        )
        .join(Engagement, on)
        .where(
            Task.status == literal_column("'completed'"),
            Task.firm_id == firm,
            Task.completed_at >= start,
            Task.completed_at < end,
        )
        .group_by(func.grouping_sets(Engagement.template_key, text("()")))
    )


def _private_cluster() -> tuple[Path, PrivatePostgres]:
    home = Path(tempfile.mkdtemp(prefix="docketflow-bench-", dir="/tmp"))
    home.chmod(0o755)  # the cluster runs as `postgres` and must reach its data under this home
    os.environ["DOCKETFLOW_PG_FAST"] = "1"  # fsync off: this measures reads
    cluster = PrivatePostgres(home)
    cluster.start()
    return home, cluster


async def main(tasks: int, runs: int) -> dict[str, Any]:
    home, cluster = _private_cluster()
    try:
        url = cluster.create_database("bench")
        await asyncio.to_thread(migrate.upgrade, url)
        # Seeding a million rows and building their indexes are single statements that may
        # outlast the runtime's statement_timeout on a busy machine: off for this engine.
        engine = make_engine(url, pool_size=4, limits=DatabaseLimits(statement_timeout_seconds=0))
        sessions = make_session_factory(engine)
        print(f"seeding {tasks:,} tasks …", flush=True)
        seed = await _seed(sessions, tasks)
        not_visible = await _vacuum(url)
        print(f"  vacuumed: {not_visible} task pages not all-visible", flush=True)
        print(
            f"  inserted in {seed['insert_seconds']:.1f} s, "
            f"indexed in {seed['index_seconds']:.1f} s",
            flush=True,
        )
        settings = Settings(env="test", database_url=url, log_json=False, log_level="WARNING")
        api_load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        api = await _api(settings, runs)
        sql = await _sql(sessions, max(runs // 3, 10))
        breakdown = await _breakdown(sessions, max(runs // 3, 10))
        await engine.dispose()
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)  # about 2 GB of cluster data
    result = {
        "at": datetime.now(UTC).isoformat(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "tasks": tasks,
        "firms": FIRMS,
        "runs_per_endpoint": runs,
        "seed": {k: round(v, 1) for k, v in seed.items()},
        "load_average_before_api": api_load,
        "api": api,
        "sql": sql,
        "breakdown": breakdown,
    }
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average at the end (1, 5, 15 min): {load}; before the API part: {api_load}")
    print("\nAPI, through the ASGI app (ms)")
    for name, figures in api.items():
        mark = "ok " if figures["p95_ms"] <= 50 else "   "
        print(f"  {mark}{name:<40} p50 {figures['p50_ms']:>8.2f}   p95 {figures['p95_ms']:>8.2f}")
    print("\nSQL alone, median (ms): with and without the dashboard indexes")
    for name, figures in sql.items():
        print(
            f"  {name:<45} {figures['with_ms']:>8.2f} {figures['without_ms']:>9.2f}"
            f"   x{figures['speedup']}"
        )
    print("\nbreakdown")
    print(json.dumps(breakdown, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.tasks, args.runs))
