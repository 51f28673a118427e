"""database roles: the runtime role gets DML only; the audit bypass is a role; signed audit heads

Revision ID: 0017_database_roles
Revises: 0013b_engagement_starts
Create Date: 2026-12-02 17:30:00

Until now the API and the workers connected as the role that owns the schema, so they could
replace `audit_entry_hash`, disable the audit triggers or set `docketflow.audit_maintenance`
and then recompute the chain. Now:

- the owner (whoever runs the migrations) keeps the schema; the API, workers and CLI connect as
  `docketflow_app`, which gets SELECT/INSERT/UPDATE on the tables it writes, DELETE on the one
  it deletes from, SELECT + INSERT only on `audit_log` and `audit_heads`, USAGE on sequences,
  and no ownership, no CREATE on the schema, no TRUNCATE. Only an owner may ALTER or DROP a
  trigger or CREATE OR REPLACE a function, so the runtime can do neither.
- the append-only bypass is the role `docketflow_audit_maintenance` (NOLOGIN; the owner may
  `SET LOCAL ROLE` to it), not a setting anyone can set: a session setting
  `docketflow.audit_maintenance` gains nothing.
- the chainer `audit_chain_pending` runs as its owner (SECURITY DEFINER, fixed search_path), so
  the runtime needs no UPDATE on `audit_log` at all.
- `audit_heads`: chain heads signed (HMAC-SHA256) by the workers with a key the database never
  sees (store/repositories/audit_heads.py); append-only like the log.

Tables added by later migrations get SELECT/INSERT/UPDATE/DELETE for the runtime by default
(ALTER DEFAULT PRIVILEGES); a migration that adds a table the runtime must not change revokes
what it does not need, as this one does for the audit tables.

The roles are created here when the migrating role may (CREATEROLE or superuser: the dev stack,
the tests); otherwise a DBA creates them first (docs/security.md, deploy/postgres/initdb).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_database_roles"
down_revision: str | None = "0016_partner_has_firm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Also in store/roles.py (a migration stays as it was written, so it does not import it).
RUNTIME = "docketflow_app"
MAINTENANCE = "docketflow_audit_maintenance"

ROLES = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME}') THEN
    BEGIN
      CREATE ROLE {RUNTIME} NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE EXCEPTION 'role {RUNTIME} does not exist and % may not create it', current_user
        USING HINT = 'Create it first: CREATE ROLE {RUNTIME} LOGIN PASSWORD ... (docs/security.md)';
    END;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{MAINTENANCE}') THEN
    BEGIN
      CREATE ROLE {MAINTENANCE} NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE EXCEPTION 'role {MAINTENANCE} does not exist and % may not create it', current_user
        USING HINT = 'Create it first: CREATE ROLE {MAINTENANCE} NOLOGIN; GRANT it to the owner';
    END;
  END IF;
  IF NOT pg_has_role(current_user, '{MAINTENANCE}', 'MEMBER') THEN
    EXECUTE format('GRANT {MAINTENANCE} TO %I', current_user);
  END IF;
  IF pg_has_role('{RUNTIME}', '{MAINTENANCE}', 'MEMBER') THEN
    RAISE EXCEPTION 'the runtime role {RUNTIME} must not be a member of {MAINTENANCE}';
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO {RUNTIME}', current_database());
END $$;
"""

# The only way past the append-only triggers is to be the maintenance role (SET LOCAL ROLE,
# which only its members may): a setting any session can set no longer opens it.
APPEND_ONLY = f"""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Retention and incident repair: `SET LOCAL ROLE {MAINTENANCE}` in the owner's
  -- transaction. Whatever they change, `docketflow audit verify` shows against the signed heads.
  IF current_user = '{MAINTENANCE}' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
    RETURN NULL;
  END IF;
  -- The chainer's one update: an unchained entry gets its place and hashes, nothing else.
  IF TG_TABLE_NAME = 'audit_log' AND TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL
     AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
       = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""

# Runtime DML per table: what the repositories, activities and triggers do (DELETE only where a
# repository deletes: the login throttle's reset).
RUNTIME_TABLES = {
    "firms": "SELECT, INSERT, UPDATE",
    "users": "SELECT, INSERT, UPDATE",
    "templates": "SELECT, INSERT, UPDATE",
    "engagements": "SELECT, INSERT, UPDATE",
    "engagement_events": "SELECT, INSERT, UPDATE",
    "queues": "SELECT, INSERT, UPDATE",
    "tasks": "SELECT, INSERT, UPDATE",
    "idempotency_keys": "SELECT, INSERT, UPDATE",
    "task_comments": "SELECT, INSERT, UPDATE",
    "calendar_feed_tokens": "SELECT, INSERT, UPDATE",
    "calendar_feed_events": "SELECT, INSERT, UPDATE",
    "login_throttle": "SELECT, INSERT, UPDATE, DELETE",
    "notifications": "SELECT, INSERT, UPDATE",
    "dashboard_rollups": "SELECT, INSERT, UPDATE",
    "firm_data_keys": "SELECT, INSERT, UPDATE",
    "audit_log": "SELECT, INSERT",
    "audit_heads": "SELECT, INSERT",
    "alembic_version": "SELECT",
}


def upgrade() -> None:
    op.execute(ROLES)
    op.create_table(
        "audit_heads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_heads_seq", "audit_heads", ["seq"])
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER audit_heads_no_change BEFORE UPDATE OR DELETE ON audit_heads "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )
    # The chainer runs as the owner: the runtime calls it and needs no UPDATE on audit_log.
    # Fixed search_path, so a caller's own objects cannot stand in for the tables it reads.
    op.execute(
        "ALTER FUNCTION audit_chain_pending(integer, boolean) SECURITY DEFINER "
        "SET search_path = public, pg_catalog"
    )
    op.execute("REVOKE ALL ON FUNCTION audit_chain_pending(integer, boolean) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION audit_chain_pending(integer, boolean) TO {RUNTIME}")

    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {RUNTIME}, {MAINTENANCE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {RUNTIME}")
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table, privileges in RUNTIME_TABLES.items():
        if table in existing:
            op.execute(f'GRANT {privileges} ON "{table}" TO {RUNTIME}')
    # Tables no one listed here (added by migrations merged beside this one) keep working.
    for table in sorted(existing - RUNTIME_TABLES.keys()):
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO {RUNTIME}')
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {RUNTIME}")
    op.execute(f"GRANT SELECT, UPDATE, DELETE ON audit_log, audit_heads TO {MAINTENANCE}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {RUNTIME}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {RUNTIME}"
    )


def downgrade() -> None:
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {RUNTIME}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {RUNTIME}"
    )
    op.execute("ALTER FUNCTION audit_chain_pending(integer, boolean) SECURITY INVOKER")
    op.execute("GRANT EXECUTE ON FUNCTION audit_chain_pending(integer, boolean) TO PUBLIC")
    op.drop_table("audit_heads")
