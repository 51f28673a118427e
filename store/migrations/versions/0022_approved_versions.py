"""approved versions: what an attorney's approval approved, pinned on its task

Revision ID: 0022_approved_versions
Revises: 0018_email_alerts
Create Date: 2026-12-03 12:00:00

`tasks.approved_versions`: when an approval task is completed, the engagement's live documents
with the version each stood at (`[{"document_id": ..., "version": n}]`), written once under the
claim fence. E-filing files exactly these versions and refuses a document whose newer version
was uploaded after the approval (activities/efiling.py). Null for every other task, and for
approvals completed before this revision (e-filing treats those as not pinned: fail closed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0022_approved_versions"
down_revision: str | None = "0018_email_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("approved_versions", JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("tasks", "approved_versions")
