"""stuck engagements: a partial index for the managers' attention list

Revision ID: 0013_stuck_engagements
Revises: 0012_dashboard_queues
Create Date: 2026-12-02 13:00:00

An engagement whose step raised is parked as `stuck` (workflows/engagement.py `_stuck`) until a
manager retries or cancels it. The attention list reads those first, on every refresh of the
floor: a partial index holds only the (few) stuck rows, so the read costs nothing at any volume.
Built CONCURRENTLY, so `engagements` stays writable while the migration runs.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_stuck_engagements"
down_revision: str | None = "0012_dashboard_queues"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_engagements_stuck "
            "ON engagements (updated_at) WHERE status = 'stuck'"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_engagements_stuck")
