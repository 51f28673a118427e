"""dashboard indexes and calendar feed tables

Revision ID: 0004_dashboard
Revises: 0001
Create Date: 2026-11-27 10:00:00

The dashboards read two slices of `tasks`: completed work in a period (SLA attainment, trends)
and open work (queues, at risk, breaches). Each slice gets a partial, covering index so the
dashboard queries are index-only scans over just the rows they aggregate. Built CONCURRENTLY so
a production `tasks` table stays writable while the migration runs.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_dashboard"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> CREATE INDEX body; bench/dashboard.py drops and recreates these by name.
INDEXES = {
    # SLA and trends for one firm over a period.
    "ix_tasks_dash_firm_completed": (
        "tasks (firm_id, completed_at) "
        "INCLUDE (created_at, due_at, queue, step_id, completed_by, engagement_id) "
        "WHERE status = 'completed'"
    ),
    # The same for BPO staff looking across every firm.
    "ix_tasks_dash_completed": (
        "tasks (completed_at) "
        "INCLUDE (firm_id, created_at, due_at, queue, step_id, completed_by, engagement_id) "
        "WHERE status = 'completed'"
    ),
    # Open work by firm: queue depth, oldest age, at risk, breached, WIP.
    "ix_tasks_dash_firm_open": (
        "tasks (firm_id, queue) "
        "INCLUDE (status, due_at, created_at, assignee_id, step_id, engagement_id) "
        "WHERE status IN ('open', 'claimed')"
    ),
}


def upgrade() -> None:
    op.create_table(
        "calendar_feed_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("firm_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calendar_feed_tokens_user_firm", "calendar_feed_tokens", ["user_id", "firm_id"])
    op.create_table(
        "calendar_feed_events",
        sa.Column("uid", sa.String(length=120), nullable=False),
        sa.Column("firm_id", sa.UUID(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"]),
        sa.PrimaryKeyConstraint("uid"),
    )
    op.create_index("ix_calendar_feed_events_firm", "calendar_feed_events", ["firm_id"])
    with op.get_context().autocommit_block():
        for name, body in INDEXES.items():
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {body}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    op.drop_index("ix_calendar_feed_events_firm", table_name="calendar_feed_events")
    op.drop_table("calendar_feed_events")
    op.drop_index("ix_calendar_feed_tokens_user_firm", table_name="calendar_feed_tokens")
    op.drop_table("calendar_feed_tokens")
