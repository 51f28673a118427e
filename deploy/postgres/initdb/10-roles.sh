#!/bin/bash
# First-start initialisation of the compose stack's PostgreSQL (mounted at
# /docker-entrypoint-initdb.d; the postgres image runs it once, when the data volume is empty).
#
# Two least-privilege login roles instead of one shared superuser:
#   - the app role owns exactly one database (its migrations run as that owner);
#   - the app's runtime role (API, workers) may connect and gets DML only, from migration 0017;
#     the audit maintenance role (NOLOGIN) is the only way past the audit log's triggers, and
#     only the owner may become it (SET LOCAL ROLE);
#   - the Temporal role may create databases, because temporalio/auto-setup creates and
#     migrates its own `temporal` and `temporal_visibility` databases on start.
# Changing the passwords in the environment later does not change them here: use ALTER ROLE
# (or recreate the volume).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_user="$APP_DB_USER" -v app_password="$APP_DB_PASSWORD" -v app_db="$APP_DB_NAME" \
  -v runtime_user="$APP_RUNTIME_DB_USER" -v runtime_password="$APP_RUNTIME_DB_PASSWORD" \
  -v temporal_user="$TEMPORAL_DB_USER" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_user";
-- Only the owner, the runtime role (and superusers) may connect to the app's database.
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
CREATE ROLE :"runtime_user" LOGIN PASSWORD :'runtime_password';
GRANT CONNECT ON DATABASE :"app_db" TO :"runtime_user";
CREATE ROLE docketflow_audit_maintenance NOLOGIN;
GRANT docketflow_audit_maintenance TO :"app_user";

CREATE ROLE :"temporal_user" LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
