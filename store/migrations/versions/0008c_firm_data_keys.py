"""per-firm payload data keys

Revision ID: 0008c_firm_data_keys
Revises: 0007_merge_heads
Create Date: 2026-11-26 18:30:00

Engagement payloads in Temporal are encrypted under their firm's own data key (core/codec.py).
The keys are stored here wrapped by the master key, which never reaches the database; a firm's
first key is made on its first payload, so existing firms need no backfill.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0008c_firm_data_keys"
down_revision: str | None = "0007_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "firm_data_keys",
        sa.Column("key_id", sa.String(80), primary_key=True),
        sa.Column("firm_id", UUID(as_uuid=True), sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("wrapped_key", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        sa.Column("shredded_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("firm_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("firm_data_keys")
