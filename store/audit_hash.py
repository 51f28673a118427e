"""An audit entry's hash, computed here rather than by the database.

The same canonical content as the database function `audit_entry_hash` (migration 0003_security):
SHA-256 over the text of a JSON array of the entry's fields, `prev_hash` first, timestamps in UTC
with microseconds. `verify` uses this one, so a replaced database function (or a rewritten
chain that relies on it) cannot vouch for itself. `detail` is taken as the database stores it
(jsonb's normalised text: the entry's content, not a computation over it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

# The columns verify reads, as text where jsonb would render them as strings.
COLUMNS = (
    "a.id, a.seq, a.prev_hash, a.hash, a.at, a.actor_id::text AS actor_id, a.actor_role, "
    "a.action, a.object_type, a.object_id, a.engagement_id::text AS engagement_id, "
    "a.firm_id::text AS firm_id, a.detail::text AS detail, a.request_id, a.client_addr, "
    "a.dedupe_key"
)


@dataclass(frozen=True)
class EntryContent:
    id: int
    at: datetime
    actor_id: str | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: str
    engagement_id: str | None
    firm_id: str | None
    detail: str  # jsonb text
    request_id: str | None
    client_addr: str | None
    dedupe_key: str | None


def _text(value: str | None) -> str:
    # jsonb escapes ", \ and control characters as json.dumps does, and keeps the rest as UTF-8.
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def entry_hash(entry: EntryContent, prev_hash: str | None) -> str:
    at = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = [
        _text(prev_hash),
        str(entry.id),
        _text(at),
        _text(entry.actor_id),
        _text(entry.actor_role),
        _text(entry.action),
        _text(entry.object_type),
        _text(entry.object_id),
        _text(entry.engagement_id),
        _text(entry.firm_id),
        entry.detail,
        _text(entry.request_id),
        _text(entry.client_addr),
        _text(entry.dedupe_key),
    ]
    # jsonb's text form of an array: elements separated by ", ".
    return hashlib.sha256(("[" + ", ".join(parts) + "]").encode()).hexdigest()
