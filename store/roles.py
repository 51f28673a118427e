"""The database roles (created and granted by migration 0017_database_roles).

- the owner: whoever runs `docketflow migrate` (`DOCKETFLOW_OWNER_DATABASE_URL`); owns the schema.
- `RUNTIME`: the API, the workers and the CLI (`DOCKETFLOW_DATABASE_URL`): DML only, SELECT and
  INSERT only on the audit tables, no ownership, no DDL.
- `AUDIT_MAINTENANCE`: the only way past the audit log's append-only triggers (retention,
  incident repair): the owner runs `SET LOCAL ROLE docketflow_audit_maintenance`. NOLOGIN.
"""

from __future__ import annotations

RUNTIME = "docketflow_app"
AUDIT_MAINTENANCE = "docketflow_audit_maintenance"
SET_MAINTENANCE = f"SET LOCAL ROLE {AUDIT_MAINTENANCE}"
