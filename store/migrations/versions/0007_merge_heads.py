"""Merge the parallel branches (queues, security, engine, dashboards) into one head.

Revision ID: 0007_merge_heads
Revises: 0002_queues, 0003_security, 0005_engine, 0006_dashboard_rollups
"""

from collections.abc import Sequence

revision: str = "0007_merge_heads"
down_revision: str | Sequence[str] | None = (
    "0002_queues",
    "0003_security",
    "0005_engine",
    "0006_dashboard_rollups",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate objects."""


def downgrade() -> None:
    """Nothing to change."""
