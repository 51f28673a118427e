"""console: claim-next by SLA urgency, who sent a task back, and form drafts per task and user

Revision ID: 0019_console
Revises: 0013b_engagement_starts
Create Date: 2026-12-02 17:30:00

- `ix_tasks_open_queue_urgency`: claim-next's serving order is now SLA urgency, the moment a
  task reaches its warning point (`warn_at`, a fraction of its SLA span set by the SLA clock; the
  due time when a task has none), then priority, then age. One partial index of open rows in that
  order per queue, probed once per queue like the index it sits beside (kept: `GET /tasks`'s
  `queue` sort and the dashboards read it). Built CONCURRENTLY so `tasks` stays writable.
- `tasks.released_by`: who last sent the task back to its queue, so claim-next does not hand it
  straight back to them (cleared by the next claim or assignment).
- `task_drafts`: the form a user is typing on a task, saved as they type, so a reload or a lapsed
  claim never loses it; one row per task and user, deleted when the task is completed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0019_console"
down_revision: str | None = "0014_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tasks",
        sa.Column("released_by", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "task_drafts",
        sa.Column("task_id", UUID(as_uuid=True), sa.ForeignKey("tasks.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("firm_id", UUID(as_uuid=True), sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("fields", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_tasks_open_queue_urgency "
            "ON tasks (queue, (COALESCE(warn_at, due_at)), priority, created_at) "
            "WHERE status = 'open'"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_tasks_open_queue_urgency")
    op.drop_table("task_drafts")
    op.drop_column("tasks", "released_by")
