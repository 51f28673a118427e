"""email alerts: each user's address and choices, and the outbox's email channel

Revision ID: 0018_email_alerts
Revises: 0013b_engagement_starts
Create Date: 2026-12-02 18:00:00

Users get an optional `email`, the alert kinds they want by email (`email_alerts`, all of them
by default) and, for partners, a daily digest (`email_digest`, `digest_sent_on`). Each outbox
row gets its own email delivery state beside the webhook's, so one channel failing never holds
back the other. Rows already in the outbox are marked emailed: turning SMTP on later must not
mail the history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0018_email_alerts"
down_revision: str | None = "0017_database_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'{sla.breached,sla.escalated,task.assigned,approval.waiting}'::text[]"


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))
    op.add_column(
        "users",
        sa.Column(
            "email_alerts", ARRAY(sa.String(32)), server_default=sa.text(KINDS), nullable=False
        ),
    )
    op.add_column(
        "users",
        sa.Column("email_digest", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column("users", sa.Column("digest_sent_on", sa.Date(), nullable=True))
    op.add_column("notifications", sa.Column("emailed_at", sa.DateTime(timezone=True)))
    op.add_column(
        "notifications",
        sa.Column("email_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("notifications", sa.Column("email_next_attempt_at", sa.DateTime(timezone=True)))
    op.add_column("notifications", sa.Column("email_last_error", sa.String(500)))
    op.execute("UPDATE notifications SET emailed_at = now()")
    op.create_index(
        "ix_notifications_unemailed",
        "notifications",
        ["id"],
        postgresql_where=sa.text("emailed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_unemailed", table_name="notifications")
    for column in ("email_last_error", "email_next_attempt_at", "email_attempts", "emailed_at"):
        op.drop_column("notifications", column)
    for column in ("digest_sent_on", "email_digest", "email_alerts", "email"):
        op.drop_column("users", column)
