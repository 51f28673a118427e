"""engagement starts: when Temporal confirmed the workflow, the input to start it until then

Revision ID: 0013b_engagement_starts
Revises: 0013_stuck_engagements
Create Date: 2026-12-02 14:30:00

A create reserves the engagement's row first (its id derived from the caller's Idempotency-Key),
then starts the workflow; `started_at` is set once Temporal confirms the start. A row still
without it is retried by the client or finished by the start reconciler
(activities/engagement_starts.py), which starts the workflow from `start_input` (the whole
workflow input, cleared once confirmed). `request_hash` lets a reused key with another body be
refused.

Rows from before this migration were all started (the old create deleted the row when the start
failed): `started_at` is added with `now()` as its default, which PostgreSQL stores once as the
value of every existing row without rewriting the table, then the default is dropped so new
rows start unconfirmed. The partial index holds only unconfirmed rows (a handful at any time),
for the reconciler; built CONCURRENTLY so `engagements` stays writable.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0013b_engagement_starts"
down_revision: str | None = "0013_stuck_engagements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "engagements",
        sa.Column(
            "started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
    )
    op.alter_column("engagements", "started_at", server_default=None)
    op.add_column("engagements", sa.Column("start_input", JSONB(), nullable=True))
    op.add_column("engagements", sa.Column("request_hash", sa.String(64), nullable=True))
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_engagements_unconfirmed "
            "ON engagements (created_at) WHERE started_at IS NULL"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_engagements_unconfirmed")
    for column in ("request_hash", "start_input", "started_at"):
        op.drop_column("engagements", column)
