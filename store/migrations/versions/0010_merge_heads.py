"""Merge the dashboard-speed branch and the firm-keys/notification branch into one head.

Revision ID: 0010_merge_heads
Revises: 0008a_dashboard_speed, 0009_notification_delivery
"""

from collections.abc import Sequence

revision: str = "0010_merge_heads"
down_revision: str | Sequence[str] | None = ("0008a_dashboard_speed", "0009_notification_delivery")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate objects."""


def downgrade() -> None:
    """Nothing to change."""
