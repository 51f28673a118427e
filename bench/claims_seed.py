"""Seed a task table for the claims benchmark: years of completed history and open work in queues.

One `INSERT … SELECT generate_series` per table, so a million rows take seconds, not minutes. The
seeded database is a template: each benchmark phase runs on a fresh clone of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.security import hash_password

PASSWORD = "bench-password-123"
FIRM_ID = uuid.UUID("00000000-0000-4000-8000-0000000000f1")
SKILLS = ("drafting", "qc")


@dataclass(frozen=True)
class Seeded:
    rows: int
    open_rows: int
    queues: list[str]
    clerk_ids: list[str]
    clerk_names: list[str]


def queue_names(count: int) -> list[str]:
    return [f"q{i:02d}" for i in range(count)]


async def seed(url: str, *, rows: int, queues: int, clerks: int) -> Seeded:
    """Fill a migrated database; ~10 % of tasks open, spread over `queues` queues."""
    names = queue_names(queues)
    clerk_names = [f"clerk{i:02d}" for i in range(clerks)]
    clerk_ids = [str(uuid.uuid5(FIRM_ID, name)) for name in clerk_names]
    password_hash = hash_password(PASSWORD)
    engagements = max(1, rows // 50)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("SELECT setseed(0.42)"))
        await conn.execute(
            text(
                "INSERT INTO firms (id, name, timezone, business_hours, holidays) "
                "VALUES (:id, 'Bench LLP', 'America/New_York', '{}'::jsonb, '{}')"
            ),
            {"id": FIRM_ID},
        )
        await conn.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, skills) "
                "SELECT CAST(u.id AS uuid), u.name, :hash, 'clerk', CAST(:skills AS text[]) "
                "FROM unnest(CAST(:ids AS text[]), CAST(:names AS text[])) AS u(id, name)"
            ),
            {"hash": password_hash, "skills": list(SKILLS), "ids": clerk_ids, "names": clerk_names},
        )
        await conn.execute(
            text("INSERT INTO queues (name) SELECT unnest(CAST(:names AS text[]))"),
            {"names": names},
        )
        await conn.execute(
            text(
                """
                INSERT INTO engagements (id, firm_id, template_key, template_version, title,
                    matter_ref, priority, status, inputs, workflow_id)
                SELECT md5('e' || i)::uuid, :firm, 'draft-qc-efile', 1, 'Bench engagement',
                    'B-' || i, 'normal', 'running', '{}'::jsonb, 'bench-' || i
                FROM generate_series(0, :n - 1) AS i
                """
            ),
            {"firm": FIRM_ID, "n": engagements},
        )
        # 90 % completed history, created over a year. 30 % of tasks need
        # a skill and 5 % exclude one clerk (separation of duties), so eligibility is exercised.
        await conn.execute(
            text(
                """
                INSERT INTO tasks (id, engagement_id, firm_id, step_id, visit, kind, title, queue,
                    skill, priority, status, assignee_id, completed_by, completed_at, outcome,
                    generation, excluded_user_ids, outcomes, due_at, created_at)
                SELECT gen_random_uuid(), md5('e' || (i % :engagements))::uuid, :firm, 'step', i,
                    'human', 'Bench task',
                    (CAST(:queues AS text[]))[1 + (i % cardinality(CAST(:queues AS text[])))],
                    CASE WHEN r.s < 0.2 THEN 'drafting' WHEN r.s < 0.3 THEN 'qc' END,
                    (i / 7) % 4,
                    CASE WHEN r.done THEN 'completed' ELSE 'open' END,
                    CASE WHEN r.done THEN r.clerk END,
                    CASE WHEN r.done THEN r.clerk END,
                    CASE WHEN r.done THEN r.created + interval '3 hours' END,
                    CASE WHEN r.done THEN 'done' END,
                    CASE WHEN r.done THEN 1 ELSE 0 END,
                    CASE WHEN r.s > 0.95 THEN ARRAY[r.clerk] ELSE '{}' END,
                    '{done}', r.created + make_interval(hours => 1 + (i % 72)), r.created
                FROM generate_series(1, :rows) AS i
                CROSS JOIN LATERAL (
                    SELECT random() < 0.9 AS done, random() AS s,
                        CAST((CAST(:clerks AS text[]))[1 + (i % :clerk_count)] AS uuid) AS clerk,
                        now() - random() * interval '365 days' AS created
                    OFFSET 0
                ) AS r
                """
            ),
            {
                "engagements": engagements,
                "firm": FIRM_ID,
                "queues": names,
                "rows": rows,
                "clerks": clerk_ids,
                "clerk_count": len(clerk_ids),
            },
        )
        open_rows = (
            await conn.execute(text("SELECT count(*) FROM tasks WHERE status = 'open'"))
        ).scalar_one()
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))
        await autocommit.execute(text("CHECKPOINT"))
    await engine.dispose()
    return Seeded(rows, int(open_rows), names, clerk_ids, clerk_names)
