"""a partner row must name its firm

Revision ID: 0016_partner_has_firm
Revises: 0013b_engagement_starts
Create Date: 2026-12-02 18:15:00

A partner's scope is their firm (store/scope.py); a partner row without one would read as
"no firm filter" to any query that forgot the check. The API and the CLI already refuse such a
user; the CHECK makes the database refuse it too, whatever writes the row.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_partner_has_firm"
down_revision: str | None = "0019_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_check_constraint(
        "ck_users_partner_has_firm", "users", "role <> 'partner' OR firm_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_constraint("ck_users_partner_has_firm", "users", type_="check")
