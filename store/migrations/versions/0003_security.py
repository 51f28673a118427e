"""security: hash-chained, append-only audit log; login throttling state

Revision ID: 0003_security
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_security"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The canonical content of an entry: a JSON array (unambiguous, and jsonb's text form is
# normalised), timestamps in UTC whatever the session's TimeZone. `docketflow audit verify`
# recomputes it with this same function.
ENTRY_HASH = """
CREATE OR REPLACE FUNCTION audit_entry_hash(e audit_log) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
      e.prev_hash, e.id,
      to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      e.actor_id, e.actor_role, e.action, e.object_type, e.object_id,
      e.engagement_id, e.firm_id, e.detail, e.request_id, e.client_addr, e.dedupe_key
  )::text, 'UTF8')), 'hex')
$$;
"""

# Every writer (API routes, activities, the CLI, a psql session) is chained by the database
# itself. The advisory lock, held to commit, gives the chain one order: the id is drawn after it
# is taken, so id order is chain order and two writers can never link to the same predecessor.
CHAIN = """
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_hash text;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    -- a snapshot older than the lock would miss the previous entry and fork the chain
    RAISE EXCEPTION 'audit_log is written in READ COMMITTED transactions only';
  END IF;
  PERFORM pg_advisory_xact_lock(74610017);
  NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  SELECT hash INTO last_hash FROM audit_log ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
  NEW.hash := audit_entry_hash(NEW);
  RETURN NEW;
END $$;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Retention and incident repair run with `SET LOCAL docketflow.audit_maintenance = 'on'`;
  -- whatever they change, `docketflow audit verify` will show.
  IF coalesce(current_setting('docketflow.audit_maintenance', true), '') = 'on' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""

BACKFILL = """
DO $$
DECLARE
  r record;
  previous text := repeat('0', 64);
BEGIN
  FOR r IN SELECT id FROM audit_log ORDER BY id LOOP
    UPDATE audit_log SET prev_hash = previous WHERE id = r.id;
    UPDATE audit_log a SET hash = audit_entry_hash(a) WHERE a.id = r.id RETURNING a.hash INTO previous;
  END LOOP;
END $$;
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(length=64), nullable=True))
    op.execute(ENTRY_HASH)
    op.execute(BACKFILL)
    op.execute(CHAIN)
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_chain()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "window_started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.execute("DROP FUNCTION IF EXISTS audit_log_chain()")
    op.execute("DROP FUNCTION IF EXISTS audit_entry_hash(audit_log)")
    op.drop_column("audit_log", "hash")
    op.drop_column("audit_log", "prev_hash")
