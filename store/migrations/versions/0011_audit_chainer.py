"""audit chain linked by a chainer after commit, not by every writer inside its transaction

Revision ID: 0011_audit_chainer
Revises: 0010_merge_heads
Create Date: 2026-11-26 19:00:00

Until now a BEFORE INSERT trigger linked each entry to the previous one under one advisory lock
held until the writer committed: every audited request in the deployment waited for the commit
(fsync) of the one before it, about 115 audited claims/s on the 2-core machine whatever the
number of clients (bench/README.md, Claims). Now writers insert plain rows, and a chainer
(`audit_chain_pending`, run every half second by each worker and before every verify or export)
links the committed ones in one short transaction: it gives each its place `seq`, the previous
entry's hash and its own. The hash function is unchanged, so existing hashes stay valid.

What protects an entry: from its insert, the append-only triggers (no UPDATE, DELETE or
TRUNCATE outside `docketflow.audit_maintenance`); from its chaining, about a second later, the
hash chain too, which catches what a superuser bypassing the triggers did afterwards. The only
update the triggers allow is the chaining itself: setting `seq`, `prev_hash` and `hash` on an
entry that has none, with its content unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_audit_chainer"
down_revision: str | None = "0010_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINER = """
CREATE OR REPLACE FUNCTION audit_chain_pending(max_rows integer, wait boolean DEFAULT true)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  entry audit_log;
  last_seq bigint;
  last_hash text;
  chained integer := 0;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    -- a snapshot older than the lock would miss the last chained entry and fork the chain
    RAISE EXCEPTION 'the audit chain is extended in READ COMMITTED transactions only';
  END IF;
  IF wait THEN
    PERFORM pg_advisory_xact_lock(74610017);
  ELSIF NOT pg_try_advisory_xact_lock(74610017) THEN
    RETURN 0;  -- another chainer is at work
  END IF;
  SELECT seq, hash INTO last_seq, last_hash
    FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  FOR entry IN SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT max_rows LOOP
    last_seq := last_seq + 1;
    entry.prev_hash := last_hash;
    last_hash := audit_entry_hash(entry);
    UPDATE audit_log SET seq = last_seq, prev_hash = entry.prev_hash, hash = last_hash
      WHERE id = entry.id;
    chained := chained + 1;
  END LOOP;
  RETURN chained;
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
  -- The chainer's one update: an unchained entry gets its place and hashes, nothing else.
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL
     AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
       = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE audit_log ADD COLUMN seq bigint")
    op.execute(APPEND_ONLY)
    # Entries chained by the old trigger keep their hashes; their place is their id order.
    op.execute("SET LOCAL docketflow.audit_maintenance = 'on'")
    op.execute(
        "UPDATE audit_log a SET seq = n.seq FROM "
        "(SELECT id, row_number() OVER (ORDER BY id) AS seq FROM audit_log) n WHERE a.id = n.id"
    )
    op.execute("SET LOCAL docketflow.audit_maintenance = 'off'")
    op.execute("CREATE UNIQUE INDEX ix_audit_seq ON audit_log (seq)")
    op.execute("CREATE INDEX ix_audit_unchained ON audit_log (id) WHERE seq IS NULL")
    op.execute("DROP TRIGGER IF EXISTS audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_chain()")
    op.execute(CHAINER)


def downgrade() -> None:
    raise NotImplementedError("the insert-time chain is not restored: restore from a backup")
