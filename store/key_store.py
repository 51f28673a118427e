"""Per-firm data keys for the payload codec: unwrapped from PostgreSQL on first use, cached.

One store per process (API or worker), shared by every codec bound to a firm's workflow. Keys are
cached for `ttl` seconds, so a shredded or rotated key stops being used everywhere within it; a
key that does not unwrap (a wrong master key) is refused, never silently replaced.
"""

from __future__ import annotations

import time
import uuid

from core.codec import KeyMaterialError, KeyUnavailableError, new_data_key, unwrap_key
from core.settings import Settings
from store.db import SessionFactory
from store.repositories import firm_keys


class FirmKeyStore:
    def __init__(self, sessions: SessionFactory, master_key: str, ttl: float = 60) -> None:
        self._sessions = sessions
        self._master_key = master_key
        self._ttl = ttl
        self._keys: dict[str, tuple[float, bytes]] = {}
        self._current: dict[str, tuple[float, str]] = {}

    async def current(self, firm_id: str) -> tuple[str, bytes]:
        cached = self._current.get(firm_id)
        if cached and self._fresh(cached[0]):
            key = await self.key(cached[1])
            if key is not None:
                return cached[1], key
        async with self._sessions.begin() as session:
            row = await firm_keys.ensure_current(
                session, uuid.UUID(firm_id), lambda kid: new_data_key(self._master_key, kid)
            )
        if row is None or row.wrapped_key is None:
            raise KeyUnavailableError(f"firm {firm_id} does not exist: no data key for it")
        key = self._remember(row.key_id, row.wrapped_key)
        self._current[firm_id] = (time.monotonic(), row.key_id)
        return row.key_id, key

    async def key(self, key_id: str) -> bytes | None:
        cached = self._keys.get(key_id)
        if cached and self._fresh(cached[0]):
            return cached[1]
        async with self._sessions() as session:
            row = await firm_keys.get(session, key_id)
        if row is None or row.wrapped_key is None:
            self._keys.pop(key_id, None)
            return None
        return self._remember(key_id, row.wrapped_key)

    def forget(self, firm_id: str) -> None:
        """Drop a firm's keys from this process at once (after a rotation or a shred here)."""
        prefix = f"firm:{firm_id}:"
        self._current.pop(firm_id, None)
        for key_id in [k for k in self._keys if k.startswith(prefix)]:
            del self._keys[key_id]

    def _remember(self, key_id: str, wrapped: str) -> bytes:
        try:
            key = unwrap_key(self._master_key, key_id, wrapped)
        except KeyMaterialError as error:
            raise KeyUnavailableError(str(error)) from error
        self._keys[key_id] = (time.monotonic(), key)
        return key

    def _fresh(self, at: float) -> bool:
        return time.monotonic() - at < self._ttl


def firm_key_store(settings: Settings, sessions: SessionFactory) -> FirmKeyStore:
    return FirmKeyStore(sessions, settings.codec_master_key, settings.codec_key_cache_seconds)
