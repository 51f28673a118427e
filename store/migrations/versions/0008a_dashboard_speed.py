"""template key on tasks, and indexes for the all-firms SLA view and the deadlines feed

Revision ID: 0008a_dashboard_speed
Revises: 0007_merge_heads
Create Date: 2026-11-26 18:30:00

The all-firms SLA dashboard (grouped by template by default) spent most of its time joining
tasks to engagements for the template: ~30,000 open tasks hashed against every engagement, and
a day's completed tasks looked up one by one for the period's partial edge days. The template
of a task is its engagement's, which never changes (an engagement is pinned to its template
when it starts), so `tasks.template_key` keeps a copy:
- a BEFORE INSERT trigger fills it from the engagement when the writer did not, so every writer
  is covered (the task activity, repairs, imports) and application code cannot forget it;
- the backfill copies it for existing tasks (the rollup triggers are off meanwhile: the copy
  changes nothing they count, and the ALTER TABLE lock keeps every other writer out);
- `ix_tasks_dash_completed` is replaced by `ix_tasks_dash_completed_tpl`, the same index with
  `template_key` included, so the live edge days are index-only;
- `ix_tasks_dash_open_template`: open work by template across every firm, index-only.

`ix_tasks_feed_firm_due` covers the deadlines feed: a firm's open tasks with a due time, in
feed order, with every column the feed shows, so the feed's change check and its rows are one
index-only range scan instead of a heap fetch per task.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008a_dashboard_speed"
down_revision: str | None = "0007_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "tasks_template_key"
ROLLUP_UPDATE_TRIGGER = "tasks_dashboard_rollup_update"

# name -> CREATE INDEX body; bench/dashboard.py drops these by name for its "without" figures.
INDEXES = {
    "ix_tasks_dash_completed_tpl": (
        "tasks (completed_at) INCLUDE (firm_id, created_at, due_at, queue, step_id, "
        "completed_by, engagement_id, template_key) WHERE status = 'completed'"
    ),
    "ix_tasks_dash_open_template": (
        "tasks (template_key) INCLUDE (status, due_at, created_at) "
        "WHERE status IN ('open', 'claimed')"
    ),
    "ix_tasks_feed_firm_due": (
        "tasks (firm_id, due_at, id) "
        "INCLUDE (engagement_id, title, queue, step_id, priority, status) "
        "WHERE status IN ('open', 'claimed') AND due_at IS NOT NULL"
    ),
}
REPLACED = {
    "ix_tasks_dash_completed": (
        "tasks (completed_at) INCLUDE (firm_id, created_at, due_at, queue, step_id, "
        "completed_by, engagement_id) WHERE status = 'completed'"
    ),
}


def upgrade() -> None:
    op.execute("ALTER TABLE tasks ADD COLUMN template_key varchar(64)")
    op.execute(
        """CREATE FUNCTION tasks_template_key() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.template_key IS NULL OR TG_OP = 'UPDATE' THEN
                SELECT e.template_key INTO NEW.template_key
                FROM engagements e WHERE e.id = NEW.engagement_id;
            END IF;
            RETURN NEW;
        END
        $$"""
    )
    op.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF engagement_id ON tasks "
        "FOR EACH ROW EXECUTE FUNCTION tasks_template_key()"
    )
    op.execute(f"ALTER TABLE tasks DISABLE TRIGGER {ROLLUP_UPDATE_TRIGGER}")
    op.execute(
        "UPDATE tasks t SET template_key = e.template_key FROM engagements e "
        "WHERE e.id = t.engagement_id AND t.template_key IS NULL"
    )
    op.execute(f"ALTER TABLE tasks ENABLE TRIGGER {ROLLUP_UPDATE_TRIGGER}")
    with op.get_context().autocommit_block():
        for name, body in INDEXES.items():
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {body}")
        for name in REPLACED:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, body in REPLACED.items():
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {body}")
        for name in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON tasks")
    op.execute("DROP FUNCTION IF EXISTS tasks_template_key()")
    op.execute("ALTER TABLE tasks DROP COLUMN template_key")
