"""dashboard indexes: the all-firms queue board in queue order, template_key on the firm indexes

Revision ID: 0012_dashboard_queues
Revises: 0011_audit_chainer
Create Date: 2026-11-26 19:30:00

Profiled at 1,000,000 tasks (docs/dashboards-and-console.md):
- The queue board of every firm aggregates the ~30,000 open tasks per queue. Its one scan (the
  queue figures and the aging counts together) now reads `ix_tasks_dash_open_queue`, which holds
  just the columns it aggregates in queue order: a GroupAggregate over the index, with no hash
  table and no parallel workers (on `ix_tasks_dash_firm_open` PostgreSQL hashed, or planned a
  parallel scan whose worker start-up cost more than it saved on two cores).
- One-firm views by template (every partner's default SLA view) joined the firm's engagements
  (~5,000 heap rows per firm at 1M tasks) for the template: about 8 of the 12 ms of the
  completed-work query and 3 of the 4 ms of the open-work one. The firm indexes now include the
  task's own copy, `tasks.template_key` (kept by the trigger of 0008a), and the queries read it.
  Each is rebuilt under a new name, then the old one dropped, so no moment goes without one.

Built CONCURRENTLY, so a production `tasks` table stays writable while the migration runs.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_dashboard_queues"
down_revision: str | None = "0011_audit_chainer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> CREATE INDEX body; bench/dashboard.py drops these by name for its "without" figures.
INDEXES = {
    "ix_tasks_dash_open_queue": (
        "tasks (queue) INCLUDE (status, due_at, created_at) WHERE status IN ('open', 'claimed')"
    ),
    "ix_tasks_dash_firm_completed_tpl": (
        "tasks (firm_id, completed_at) "
        "INCLUDE (created_at, due_at, queue, step_id, completed_by, engagement_id, template_key) "
        "WHERE status = 'completed'"
    ),
    "ix_tasks_dash_firm_open_tpl": (
        "tasks (firm_id, queue) "
        "INCLUDE (status, due_at, created_at, assignee_id, step_id, engagement_id, template_key) "
        "WHERE status IN ('open', 'claimed')"
    ),
}
# Replaced by the `_tpl` ones above (their definitions in 0004_dashboard, for the downgrade).
REPLACED = {
    "ix_tasks_dash_firm_completed": (
        "tasks (firm_id, completed_at) "
        "INCLUDE (created_at, due_at, queue, step_id, completed_by, engagement_id) "
        "WHERE status = 'completed'"
    ),
    "ix_tasks_dash_firm_open": (
        "tasks (firm_id, queue) "
        "INCLUDE (status, due_at, created_at, assignee_id, step_id, engagement_id) "
        "WHERE status IN ('open', 'claimed')"
    ),
}


def upgrade() -> None:
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
