"""documents: the work product's versions (bytes sealed in the blob store) and legal holds

Revision ID: 0014_documents
Revises: 0013b_engagement_starts
Create Date: 2026-12-02 17:30:00

Rows hold metadata only: each version's bytes are sealed with the firm's data key and kept in
the blob store under `address` (firm and SHA-256 of the plaintext). A legal hold on an
engagement blocks deleting any of its documents.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0014_documents"
down_revision: str | None = "0013b_engagement_starts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("engagements", sa.Column("legal_hold_since", _TS, nullable=True))
    op.add_column("engagements", sa.Column("legal_hold_reason", sa.String(500), nullable=True))
    op.create_table(
        "documents",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("engagement_id", UUID(as_uuid=True), sa.ForeignKey("engagements.id")),
        sa.Column("firm_id", UUID(as_uuid=True), sa.ForeignKey("firms.id")),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("created_by", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.Column("deleted_at", _TS, nullable=True),
        sa.Column("deleted_by", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_index("ix_documents_engagement", "documents", ["engagement_id", "created_at"])
    op.create_table(
        "document_versions",
        sa.Column("document_id", UUID(as_uuid=True), sa.ForeignKey("documents.id")),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pages", sa.Integer, nullable=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("task_id", UUID(as_uuid=True), sa.ForeignKey("tasks.id"), nullable=True),
        sa.Column("step_id", sa.String(64), nullable=True),
        sa.Column("created_by", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "version"),
    )
    op.create_index("ix_document_versions_address", "document_versions", ["address"])


def downgrade() -> None:
    op.drop_table("document_versions")
    op.drop_table("documents")
    op.drop_column("engagements", "legal_hold_reason")
    op.drop_column("engagements", "legal_hold_since")
