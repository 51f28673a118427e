"""Engine: fan-out items, the owning workflow of a task, live SLA state, notification outbox,
and each firm's SLA contract.

Revision ID: 0005_engine
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_engine"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "firms",
        sa.Column(
            "sla_policy", postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"), nullable=False,
        ),
    )
    op.add_column("tasks", sa.Column("item", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("tasks", sa.Column("workflow_id", sa.String(200), nullable=True))
    op.add_column("tasks", sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("sla_state", sa.String(16), nullable=True))
    op.drop_constraint("uq_tasks_engagement_step_visit", "tasks", type_="unique")
    op.create_unique_constraint(
        "uq_tasks_engagement_step_item_visit", "tasks", ["engagement_id", "step_id", "item", "visit"]
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("firm_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=True),
        sa.Column("task_id", sa.UUID(), nullable=True),
        sa.Column("recipients", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index(
        "ix_notifications_undelivered", "notifications", ["id"],
        postgresql_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_undelivered", table_name="notifications")
    op.drop_table("notifications")
    op.drop_constraint("uq_tasks_engagement_step_item_visit", "tasks", type_="unique")
    op.create_unique_constraint(
        "uq_tasks_engagement_step_visit", "tasks", ["engagement_id", "step_id", "visit"]
    )
    for column in ("sla_state", "warn_at", "workflow_id", "item"):
        op.drop_column("tasks", column)
    op.drop_column("firms", "sla_policy")
