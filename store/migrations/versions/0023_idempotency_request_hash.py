"""idempotency keys remember the request they answered

Revision ID: 0023_idempotency_request_hash
Revises: 0022_approved_versions
Create Date: 2026-12-03 12:05:00

A stored first answer now carries the fingerprint of the request it answered (SHA-256 of the
validated body), so the same Idempotency-Key sent with a different body is refused (422) instead
of silently getting the first answer. Rows written before this have none and are not checked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_idempotency_request_hash"
down_revision: str | None = "0022_approved_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("request_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("idempotency_keys", "request_hash")
