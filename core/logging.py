"""structlog configuration: JSON lines in production, readable lines in a terminal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

import structlog

from core.settings import Settings

# Field names that may hold client data, PHI or secrets. Their values never reach a log line,
# at any depth of nesting (ABA Rule 1.6(c); HIPAA minimum necessary, docs/service-lines.md §7).
SENSITIVE_FIELDS = frozenset(
    {
        "inputs",
        "input",
        "output",
        "outputs",
        "note",
        "notes",
        "title",
        "matter_ref",
        "payload",
        "payloads",
        "body",
        "reason",
        "instructions",
        "comment",
        "password",
        "new_password",
        "current_password",
        "password_hash",
        "token",
        "access_token",
        "authorization",
        "secret",
        "secret_key",
        "codec_master_key",
        "codec_keys",
        "client_name",
        "patient_name",
        "ssn",
        "dob",
    }
)
REDACTED = "[redacted]"


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: REDACTED if str(k).lower() in SENSITIVE_FIELDS else _redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_sensitive(
    _: Any, __: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """A structlog processor: replaces the values of `SENSITIVE_FIELDS` keys with a marker."""
    return {
        key: REDACTED if key.lower() in SENSITIVE_FIELDS else _redact(value)
        for key, value in event_dict.items()
    }


def configure_logging(settings: Settings) -> None:
    """Route stdlib logging (uvicorn, temporalio) and structlog through one JSON renderer."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_sensitive,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    # In JSON, the traceback as text in the line ("exc_info": true alone says nothing), rendered
    # by the formatter (handlers and tests still see the record's exc_info); the console renderer
    # prints it itself. Frames only: no local variables (client data).
    tracebacks: list[structlog.types.Processor] = (
        [structlog.processors.format_exc_info] if settings.log_json else []
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tracebacks,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
