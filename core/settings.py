"""Process settings, read from `DOCKETFLOW_*` environment variables (and a dev stack's state file).

Nothing reads the environment at import time: call `load_settings()` in a composition root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
STACK_FILE = "stack.json"


class Settings(BaseSettings):
    """Everything a process needs to reach PostgreSQL and Temporal and to sign tokens."""

    model_config = SettingsConfigDict(env_prefix="DOCKETFLOW_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    home: Path | None = None
    database_url: str = "postgresql+psycopg://docketflow:docketflow@127.0.0.1:5432/docketflow"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_url: str = "http://127.0.0.1:8233"
    task_queue: str = "docketflow"
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)
    update_timeout_seconds: float = Field(default=20.0, gt=0)
    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_weak_secrets_outside_dev(self) -> Settings:
        if self.env == "prod" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "DOCKETFLOW_SECRET_KEY must be set to a random value of at least 32 characters "
                "outside dev (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, filled in from a dev stack's `stack.json` if a home is known.

    Explicit environment variables win over the stack file, so a dev home can be pointed at
    another database or Temporal by setting them.
    """
    base = Settings(**overrides) if home is None else Settings(home=home, **overrides)
    if base.home is None:
        return base
    stack_file = base.home / STACK_FILE
    if not stack_file.exists():
        return base
    recorded = json.loads(stack_file.read_text())
    explicit = base.model_fields_set
    merged = {k: v for k, v in recorded.items() if k in Settings.model_fields and k not in explicit}
    return base.model_copy(update=merged)
