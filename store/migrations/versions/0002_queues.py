"""queues: queue settings, clerk WIP limits, task comments, lease indexes

Revision ID: 0002_queues
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_queues"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("queues", sa.Column("required_skill", sa.String(length=64), nullable=True))
    op.add_column(
        "queues",
        sa.Column("at_risk_minutes", sa.Integer(), server_default=sa.text("60"), nullable=False),
    )
    op.add_column("users", sa.Column("wip_limit", sa.Integer(), nullable=True))
    op.create_table(
        "task_comments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("firm_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_comments_task", "task_comments", ["task_id", "id"])
    # The lease sweeper and the per-queue WIP count read claimed rows only: tiny partial indexes.
    op.create_index(
        "ix_tasks_claimed_lease",
        "tasks",
        ["lease_expires_at"],
        postgresql_where=sa.text("status = 'claimed'"),
    )
    op.create_index(
        "ix_tasks_claimed_queue",
        "tasks",
        ["queue", "assignee_id"],
        postgresql_where=sa.text("status = 'claimed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_claimed_queue", table_name="tasks")
    op.drop_index("ix_tasks_claimed_lease", table_name="tasks")
    op.drop_index("ix_task_comments_task", table_name="task_comments")
    op.drop_table("task_comments")
    op.drop_column("users", "wip_limit")
    op.drop_column("queues", "at_risk_minutes")
    op.drop_column("queues", "required_skill")
