"""Process settings, read from `DOCKETFLOW_*` environment variables (and a dev stack's state file).

Nothing reads the environment at import time: call `load_settings()` in a composition root.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.audit_signing import HeadSigner, HeadVerifier, public_key_text

DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
# Dev/test only: the master key that wraps payload data keys (base64 of 32 bytes). Refused in prod.
DEV_CODEC_MASTER_KEY = "Wtrcd/MRW3LmQhhA45UttaugLzdhGNV0PM4yUbMOs2s="
# Dev/test only: the Ed25519 private key (base64 of its 32-byte seed) that signs audit chain
# heads. Refused in prod: anyone who knows it can sign a head for a rewritten chain.
DEV_AUDIT_SIGNING_KEY = "ZG9ja2V0Zmxvdy1kZXYtYXVkaXQtc2lnbmluZy1rZXk="
STACK_FILE = "stack.json"


@dataclass(frozen=True)
class DatabaseLimits:
    """PostgreSQL session limits, sent as startup options (store.db.make_engine)."""

    statement_timeout_seconds: float = 30.0
    lock_timeout_seconds: float = 5.0
    idle_in_transaction_timeout_seconds: float = 60.0

    def startup_options(self) -> str:
        values = {
            "statement_timeout": self.statement_timeout_seconds,
            "lock_timeout": self.lock_timeout_seconds,
            "idle_in_transaction_session_timeout": self.idle_in_transaction_timeout_seconds,
        }
        # In milliseconds; a positive limit below 1 ms stays on (0 would turn it off).
        return " ".join(
            f"-c {name}={max(1, round(seconds * 1000)) if seconds > 0 else 0}"
            for name, seconds in values.items()
        )


class Settings(BaseSettings):
    """Everything a process needs to reach PostgreSQL and Temporal and to sign tokens."""

    model_config = SettingsConfigDict(env_prefix="DOCKETFLOW_", extra="ignore")

    # Fail closed: a process told nothing is production, which refuses the public development
    # secret and keys below. `docketflow dev` (and its stack file) and the test fixtures say
    # "dev" / "test" explicitly.
    env: Literal["dev", "test", "prod"] = "prod"
    home: Path | None = None
    # The runtime role (API, workers, CLI): DML only, no ownership (migration 0017).
    database_url: str = "postgresql+psycopg://docketflow_app:docketflow@127.0.0.1:5432/docketflow"
    # The role that owns the schema, used by `docketflow migrate` only; unset: `database_url`
    # (a deployment with one role, which then also owns the audit log it writes).
    owner_database_url: str | None = None
    # Connections each API process keeps open and never exceeds (no overflow): a pool smaller than
    # the requests in flight opens and closes a connection per request beyond it (a PostgreSQL
    # backend started each time). 20 was already each process's cap (10 kept + 10 overflow).
    database_pool_size: int = Field(default=20, ge=1, le=500)
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_url: str = "http://127.0.0.1:8233"
    # TLS to the Temporal frontend (core/temporal.connect_options): on by itself with an API key
    # or client certificate; the CA file replaces the system roots (a private CA); a client
    # certificate and key together make it mutual TLS; the API key (Temporal Cloud) is sent as
    # a bearer token on every call and needs TLS.
    temporal_tls: bool = False
    temporal_tls_ca_file: Path | None = None
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: str | None = None
    task_queue: str = "docketflow"
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)
    # Token key rotation: `secret_key` signs new tokens under `token_key_id`; retired keys
    # (kid -> secret) still verify the tokens they signed until those expire.
    token_key_id: str = Field(default="k1", pattern=r"^[A-Za-z0-9._-]{1,32}$")
    token_retired_keys: dict[str, str] = Field(default_factory=dict)
    # Temporal payload encryption (core/codec.py): data keys (kid -> key wrapped by the master
    # key, made by `docketflow keys new`); new payloads use `codec_key_id` (default: the last).
    codec_master_key: str = DEV_CODEC_MASTER_KEY
    codec_keys: dict[str, str] = Field(default_factory=dict)
    codec_key_id: str | None = None
    # Per-firm data keys (store/key_store.py) are cached unwrapped for this long: a key shredded
    # in one process stops decrypting in the others within this time.
    codec_key_cache_seconds: float = Field(default=60, ge=0, le=3600)
    # Audit chain heads are signed (Ed25519) by the workers with this key, which the database
    # never sees, every `audit_head_interval_seconds` while the chain grows (core/audit_signing.py).
    # `audit_verify_keys` (kid -> base64 public key) keeps retired keys' heads verifiable.
    audit_signing_key: str = DEV_AUDIT_SIGNING_KEY
    audit_signing_key_id: str = Field(default="a1", pattern=r"^[A-Za-z0-9._-]{1,32}$")
    audit_verify_keys: dict[str, str] = Field(default_factory=dict)
    audit_head_interval_seconds: float = Field(default=60.0, gt=0)
    # SLA alerts (warnings, breaches, escalations) are POSTed here as signed JSON (Slack/Teams
    # bridge, paging, the firm's systems); without a URL they are read in-app only.
    notify_webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    notify_webhook_secret: str = ""
    # Alert and digest email (activities/email_alerts.py): sent when smtp_host is set. Messages
    # carry ids and links into the console at `public_url`, never client data.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Docketflow <docketflow@localhost>"
    # "starttls" (port 587), "tls" (implicit, port 465) or "none" (a relay on a trusted network).
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://")
    # Partners' daily digest goes out on the first dispatcher run at or after this UTC hour.
    digest_hour_utc: int = Field(default=12, ge=0, le=23)
    # A failed delivery is retried after base x 2^(attempts-1) seconds, at most an hour.
    notify_retry_base_seconds: float = Field(default=30.0, ge=0)
    # Login throttling per (account, client address), kept in PostgreSQL so it holds across API
    # replicas: `login_max_failures` attempts pass, then each one doubles the wait from
    # `login_backoff_base_seconds` up to `login_lockout_seconds` (store/repositories/throttle.py).
    login_max_failures: int = Field(default=5, ge=1)
    login_backoff_base_seconds: float = Field(default=30, gt=0)
    login_lockout_seconds: int = Field(default=300, ge=1)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's
    # `forwarded_allow_ips`: comma-separated addresses or networks, "*" for any): the TLS-
    # terminating ingress. The client address they name is what login throttling counts.
    forwarded_allow_ips: str = "127.0.0.1"
    # Strict-Transport-Security max-age on responses served over https (0: never sent).
    hsts_seconds: int = Field(default=31_536_000, ge=0)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    # A template schema checked against a request body takes at most this long (api/schema_checks).
    schema_check_timeout_seconds: float = Field(default=2.0, gt=0)
    update_timeout_seconds: float = Field(default=20.0, gt=0)
    # Per-connection limits of every runtime connection (API, worker, CLI); 0 turns one off.
    # A forgotten transaction would otherwise hold its locks and hold back vacuum without limit.
    database_statement_timeout_seconds: float = Field(default=30.0, ge=0)
    database_lock_timeout_seconds: float = Field(default=5.0, ge=0)
    database_idle_in_transaction_timeout_seconds: float = Field(default=60.0, ge=0)
    # How long a create waits for Temporal to confirm the workflow's start before answering 503
    # (the row stays: a retry with the same Idempotency-Key, or the start reconciler, finishes it).
    start_timeout_seconds: float = Field(default=10.0, gt=0)
    # Open engagements a worker keeps in memory (~0.3 MB each); beyond it, workflows are replayed.
    worker_cached_workflows: int = Field(default=2000, ge=1)
    # host:port where a worker serves the Temporal SDK's Prometheus metrics (workflow task
    # failures, activity latency, sticky cache...); unset: not served (one port per worker).
    worker_metrics_address: str | None = None
    # host:port where a worker serves Docketflow's own series (lease expiries, SLA warnings,
    # breaches and escalations by firm and template: core/metrics.py); unset: not served.
    worker_app_metrics_address: str | None = None
    # An engagement workflow continues as new after this many steps (bounded histories).
    steps_per_run: int = Field(default=200, ge=0)
    # Every SLA due time stops this long before an engagement's court deadline.
    court_deadline_buffer_hours: float = Field(default=24.0, ge=0)
    # Documents (store/document_vault.py): sealed bytes under `<home>/documents` (or
    # `document_root`) by default; `s3` keeps them in S3-compatible object storage (MinIO, AWS S3;
    # credentials from the usual AWS_* variables). Uploads over `document_max_bytes` are a 413.
    document_store: Literal["local", "s3"] = "local"
    document_root: Path | None = None
    document_max_bytes: int = Field(default=250 * 1024 * 1024, ge=1024)
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = "documents/"
    # /docs, /redoc and /openapi.json describe every route: served outside prod by default, in
    # prod only when set true.
    api_docs: bool | None = None
    # When set, GET /metrics answers only `Authorization: Bearer <token>` (Prometheus'
    # `authorization.credentials`); prod refuses to serve metrics without one.
    metrics_token: str | None = None
    # OpenTelemetry traces (core/tracing.py) are exported by OTLP/HTTP to this URL, e.g.
    # http://otel-collector:4318/v1/traces; unset: no tracing (the default).
    otlp_traces_endpoint: str | None = Field(default=None, pattern=r"^https?://")
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def database_limits(self) -> DatabaseLimits:
        return DatabaseLimits(
            statement_timeout_seconds=self.database_statement_timeout_seconds,
            lock_timeout_seconds=self.database_lock_timeout_seconds,
            idle_in_transaction_timeout_seconds=self.database_idle_in_transaction_timeout_seconds,
        )

    @property
    def migration_database_url(self) -> str:
        return self.owner_database_url or self.database_url

    @property
    def docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.env != "prod"

    @field_validator(
        "owner_database_url",
        "notify_webhook_url",
        "metrics_token",
        "otlp_traces_endpoint",
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "temporal_api_key",
        "temporal_tls_ca_file",
        "temporal_tls_cert_file",
        "temporal_tls_key_file",
        "temporal_tls_server_name",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None  # compose passes an unset variable as ""

    @model_validator(mode="after")
    def _refuse_weak_secrets_outside_dev(self) -> Settings:
        if self.env == "prod" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "DOCKETFLOW_SECRET_KEY must be set to a random value of at least 32 characters "
                "outside dev (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`);"
                " DOCKETFLOW_ENV=dev accepts the public development secret on a developer's machine"
            )
        _check_key_material(self)
        if (self.temporal_tls_cert_file is None) != (self.temporal_tls_key_file is None):
            raise ValueError(
                "DOCKETFLOW_TEMPORAL_TLS_CERT_FILE and DOCKETFLOW_TEMPORAL_TLS_KEY_FILE go "
                "together (mutual TLS needs the certificate and its private key)"
            )
        return self

    def documents_root(self) -> Path:
        if self.document_root is not None:
            return self.document_root
        if self.home is not None:
            return self.home / "documents"
        if self.env == "test":  # processes a test starts with a bare environment
            return Path(tempfile.gettempdir()) / "docketflow-test-documents"
        raise ValueError(
            "set DOCKETFLOW_DOCUMENT_ROOT (or DOCKETFLOW_HOME) for the local document store, "
            "or DOCKETFLOW_DOCUMENT_STORE=s3"
        )

    def audit_head_signer(self) -> HeadSigner:
        return HeadSigner(self.audit_signing_key_id, self.audit_signing_key)

    def audit_head_verifier(self) -> HeadVerifier:
        current = {self.audit_signing_key_id: public_key_text(self.audit_signing_key)}
        return HeadVerifier({**self.audit_verify_keys, **current})

    def token_signing_key(self) -> tuple[str, str]:
        return self.token_key_id, self.secret_key

    def token_verification_keys(self) -> dict[str, str]:
        return {**self.token_retired_keys, self.token_key_id: self.secret_key}


def _check_key_material(settings: Settings) -> None:
    """Fail fast on malformed keys everywhere, and on default or missing ones in prod."""
    try:
        master = base64.b64decode(settings.codec_master_key, validate=True)
    except (binascii.Error, ValueError):
        master = b""
    if len(master) != 32:
        raise ValueError("DOCKETFLOW_CODEC_MASTER_KEY must be base64 of 32 random bytes")
    if settings.codec_key_id is not None and settings.codec_key_id not in settings.codec_keys:
        raise ValueError(f"DOCKETFLOW_CODEC_KEY_ID {settings.codec_key_id!r} is not in CODEC_KEYS")
    if settings.token_key_id in settings.token_retired_keys:
        raise ValueError("DOCKETFLOW_TOKEN_KEY_ID must not also be a retired key id")
    try:
        seed = base64.b64decode(settings.audit_signing_key, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise ValueError("DOCKETFLOW_AUDIT_SIGNING_KEY must be base64 of a 32-byte Ed25519 seed")
    if settings.env != "prod":
        return
    if settings.codec_master_key == DEV_CODEC_MASTER_KEY:
        raise ValueError(
            "DOCKETFLOW_CODEC_MASTER_KEY must be set outside dev "
            "(`python -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())'`); "
            "the development key is public (DOCKETFLOW_ENV=dev accepts it)"
        )
    if not settings.codec_keys:
        raise ValueError(
            "DOCKETFLOW_CODEC_KEYS must hold at least one data key (docketflow keys new)"
        )
    if settings.notify_webhook_url and len(settings.notify_webhook_secret) < 32:
        raise ValueError(
            "DOCKETFLOW_NOTIFY_WEBHOOK_SECRET must be at least 32 characters: receivers check "
            "every alert's signature with it"
        )
    weak = [kid for kid, key in settings.token_retired_keys.items() if len(key) < 32]
    if weak:
        raise ValueError(f"retired token keys shorter than 32 characters: {weak}")
    if settings.audit_signing_key == DEV_AUDIT_SIGNING_KEY:
        raise ValueError(
            "DOCKETFLOW_AUDIT_SIGNING_KEY must be set outside dev (`docketflow audit new-key`)"
        )


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, filled in from a dev stack's `stack.json` if a home is known.

    Explicit environment variables win over the stack file, so a dev home can be pointed at
    another database or Temporal by setting them. The stack file is read before validation: it
    records the stack's `env: dev`, without which the development keys are refused.
    """
    home = home or _home_from_environment()
    recorded: dict[str, Any] = {}
    if home is not None and (home / STACK_FILE).exists():
        recorded = json.loads((home / STACK_FILE).read_text())
    in_environment = {key.upper() for key in os.environ}
    fill = {
        name: value
        for name, value in recorded.items()
        if name in Settings.model_fields
        and name not in overrides
        and f"DOCKETFLOW_{name.upper()}" not in in_environment
    }
    return (
        Settings(**fill, **overrides) if home is None else Settings(**fill, home=home, **overrides)
    )


def _home_from_environment() -> Path | None:
    value = os.environ.get("DOCKETFLOW_HOME")
    return Path(value) if value else None
