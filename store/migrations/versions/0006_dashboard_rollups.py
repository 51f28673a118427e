"""dashboard rollups and indexes for the all-firms views

Revision ID: 0006_dashboard_rollups
Revises: 0004_dashboard
Create Date: 2026-11-26 17:00:00

The all-firms dashboards (SLA attainment, trends) aggregated every completed task of the
period: about 80,000 rows for 30 days at a million tasks, too slow for the 50 ms target. They
now read `dashboard_rollups`: completed/met counts and a cycle-time histogram per UTC day x firm
x template x step x queue x clerk.

The rollup is kept by a trigger on `tasks`, not by a call in the completion activity: every
writer is covered (the completion activity, repairs, imports, the benchmark's bulk seed), and it
runs in the writer's transaction, so the rollup commits or rolls back with the task. It counts a
task's contribution on its transition into `completed` and takes it back on a transition out
(or a delete, or an edit of a counted column), so replays and retries cannot count twice: an
UPDATE that leaves the counted columns as they were changes nothing. The triggers' WHEN clauses
keep claims and lease renewals (the hot updates) from calling the function at all.

The histogram buckets are log-spaced (x1.25 from one minute): percentiles read from it are
within a bucket's width (about 12%) of the exact value; `store.repositories.dashboard_rollup`
mirrors the bucket bounds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_dashboard_rollups"
down_revision: str | None = "0004_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUCKETS = 64  # keep in step with dashboard_rollup.BUCKETS
NOBODY = "00000000-0000-0000-0000-000000000000"  # completed_by when no one is recorded

INDEXES = {
    # Open work in due order, every firm: the all-firms attention list reads its first rows.
    "ix_tasks_dash_open_due": "tasks (due_at, priority, id) WHERE status IN ('open', 'claimed')",
    # The template of each task of the period's partial edge days, read per row (index-only)
    # rather than by hashing every engagement.
    "ix_engagements_dash_template": "engagements (id) INCLUDE (template_key)",
}

FUNCTIONS = [
    # 1-based bucket of a cycle time in seconds: 1 below a minute, then x1.25 per bucket.
    f"""CREATE FUNCTION dashboard_cycle_bucket(seconds double precision) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN seconds IS NULL OR seconds < 60 THEN 1
                    ELSE LEAST({BUCKETS}, 2 + floor(ln(seconds / 60.0) / ln(1.25))::integer)
               END
    $$""",
    f"""CREATE FUNCTION dashboard_rollup_add(t tasks, delta integer) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            b integer := dashboard_cycle_bucket(
                extract(epoch FROM t.completed_at - t.created_at)::double precision);
            m integer := CASE WHEN t.due_at IS NULL OR t.completed_at <= t.due_at
                              THEN delta ELSE 0 END;
            tk varchar(64);
        BEGIN
            SELECT e.template_key INTO tk FROM engagements e WHERE e.id = t.engagement_id;
            INSERT INTO dashboard_rollups AS r (firm_id, day, template_key, step_id, queue,
                    completed_by, completed, met, cycle_hist)
            VALUES (t.firm_id, (t.completed_at AT TIME ZONE 'UTC')::date, coalesce(tk, ''),
                    t.step_id, t.queue, coalesce(t.completed_by, '{NOBODY}'::uuid), delta, m,
                    array_fill(0, ARRAY[b - 1]) || delta || array_fill(0, ARRAY[{BUCKETS} - b]))
            ON CONFLICT (day, firm_id, template_key, step_id, queue, completed_by) DO UPDATE
            SET completed = r.completed + delta,
                met = r.met + m,
                cycle_hist[b] = r.cycle_hist[b] + delta;
        END
    $$""",
    """CREATE FUNCTION dashboard_rollup_task() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.status = 'completed' AND NEW.status = 'completed'
               AND NEW.completed_at IS NOT DISTINCT FROM OLD.completed_at
               AND NEW.created_at IS NOT DISTINCT FROM OLD.created_at
               AND NEW.due_at IS NOT DISTINCT FROM OLD.due_at
               AND NEW.completed_by IS NOT DISTINCT FROM OLD.completed_by
               AND NEW.firm_id = OLD.firm_id AND NEW.engagement_id = OLD.engagement_id
               AND NEW.step_id = OLD.step_id AND NEW.queue = OLD.queue THEN
                RETURN NULL;  -- nothing the rollup counts has changed
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'completed'
               AND OLD.completed_at IS NOT NULL THEN
                PERFORM dashboard_rollup_add(OLD, -1);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'completed'
               AND NEW.completed_at IS NOT NULL THEN
                PERFORM dashboard_rollup_add(NEW, 1);
            END IF;
            RETURN NULL;
        END
    $$""",
]

TRIGGERS = {
    "tasks_dashboard_rollup_insert": "AFTER INSERT ON tasks FOR EACH ROW "
    "WHEN (NEW.status = 'completed')",
    "tasks_dashboard_rollup_update": "AFTER UPDATE ON tasks FOR EACH ROW "
    "WHEN (OLD.status = 'completed' OR NEW.status = 'completed')",
    "tasks_dashboard_rollup_delete": "AFTER DELETE ON tasks FOR EACH ROW "
    "WHEN (OLD.status = 'completed')",
}

# Rebuilds the rollup from `tasks` (the migration's backfill; bench/dashboard.py after its bulk
# seed, which it runs with the triggers disabled).
BACKFILL = f"""
INSERT INTO dashboard_rollups (firm_id, day, template_key, step_id, queue, completed_by,
                               completed, met, cycle_hist)
SELECT firm_id, day, template_key, step_id, queue, completed_by, completed, met,
       ARRAY(SELECT coalesce(ns[array_position(bs, g)], 0)
             FROM generate_series(1, {BUCKETS}) g ORDER BY g)
FROM (
    SELECT firm_id, day, template_key, step_id, queue, completed_by,
           sum(n) AS completed, sum(m) AS met, array_agg(b) AS bs, array_agg(n) AS ns
    FROM (
        SELECT t.firm_id, (t.completed_at AT TIME ZONE 'UTC')::date AS day,
               coalesce(e.template_key, '') AS template_key, t.step_id, t.queue,
               coalesce(t.completed_by, '{NOBODY}'::uuid) AS completed_by,
               dashboard_cycle_bucket(extract(epoch FROM t.completed_at - t.created_at)::float8)
                   AS b,
               count(*)::integer AS n,
               (count(*) FILTER (WHERE t.due_at IS NULL OR t.completed_at <= t.due_at))::integer
                   AS m
        FROM tasks t LEFT JOIN engagements e ON e.id = t.engagement_id
        WHERE t.status = 'completed' AND t.completed_at IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    ) per_bucket
    GROUP BY 1, 2, 3, 4, 5, 6
) per_key
"""


def upgrade() -> None:
    op.create_table(
        "dashboard_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("firm_id", sa.UUID(), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("completed_by", sa.UUID(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("cycle_hist", sa.ARRAY(sa.Integer()), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "firm_id", "template_key", "step_id", "queue", "completed_by"
        ),
    )
    for statement in FUNCTIONS:
        op.execute(statement)
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body} EXECUTE FUNCTION dashboard_rollup_task()")
    op.execute(BACKFILL)
    with op.get_context().autocommit_block():
        for name, body in INDEXES.items():
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {body}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON tasks")
    op.execute("DROP FUNCTION IF EXISTS dashboard_rollup_task()")
    op.execute("DROP FUNCTION IF EXISTS dashboard_rollup_add(tasks, integer)")
    op.execute("DROP FUNCTION IF EXISTS dashboard_cycle_bucket(double precision)")
    op.drop_table("dashboard_rollups")
