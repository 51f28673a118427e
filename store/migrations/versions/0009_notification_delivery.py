"""notification delivery: attempts, backoff and the last error of each webhook push

Revision ID: 0009_notification_delivery
Revises: 0008c_firm_data_keys
Create Date: 2026-11-26 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_notification_delivery"
down_revision: str | None = "0008c_firm_data_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notifications",
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "notifications", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("notifications", sa.Column("last_error", sa.String(500), nullable=True))


def downgrade() -> None:
    for column in ("last_error", "next_attempt_at", "attempts"):
        op.drop_column("notifications", column)
