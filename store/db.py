"""Engine and session factory. The caller (a request or an activity) owns the transaction."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from core.settings import DatabaseLimits

SessionFactory = async_sessionmaker[AsyncSession]
DEFAULT_LIMITS = DatabaseLimits()

# A pooled connection idle for longer than this is pinged before it is handed out; one returned
# more recently is handed out as is. The same trade as HikariCP's alive-bypass window (0.5 s) and
# PgBouncer's server_check_delay (30 s): a ping per checkout is a round trip per request (the
# claims benchmark measured it, bench/README.md "Claims"), while the connections that go stale
# (server restart, failover, a firewall dropping idle sockets) are the idle ones. A connection that
# dies within the window fails its statement; SQLAlchemy then sees the disconnect and invalidates
# every pooled connection opened before it, so only requests already in flight are affected, which
# is true of a per-checkout ping as well (the server can go between the ping and the statement).
PING_IDLE_SECONDS = 5.0


def make_engine(
    database_url: str,
    pool_size: int = 10,
    *,
    max_overflow: int | None = None,
    pre_ping: bool = True,
    ping_idle_seconds: float = PING_IDLE_SECONDS,
    limits: DatabaseLimits | None = DEFAULT_LIMITS,
) -> AsyncEngine:
    """`pool_size` connections are kept; `max_overflow` (default: as many again) more are opened
    under load and closed when returned.

    `pre_ping`: check a pooled connection is alive before use, when it has been idle for more
    than `ping_idle_seconds` (0: at every checkout, SQLAlchemy's `pool_pre_ping`).

    `limits`: statement, lock and idle-in-transaction timeouts of every connection, as libpq
    startup options (so they hold before the first statement, with no extra round trip); options
    already in the URL are kept beside them. None: the server's or role's own settings."""
    url = make_url(database_url)
    connect_args: dict[str, Any] = {}
    if limits is not None:
        url, connect_args = with_startup_options(database_url, limits.startup_options())
    engine = create_async_engine(
        url,
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=pre_ping and ping_idle_seconds <= 0,
        # A failing statement's parameters (client data, PHI) never reach logs or error texts.
        hide_parameters=True,
    )
    if pre_ping and ping_idle_seconds > 0:
        _ping_when_idle(engine, ping_idle_seconds)
    return engine


def with_startup_options(database_url: str, options: str) -> tuple[URL, dict[str, Any]]:
    """The URL without its libpq `options`, and connect args carrying those followed by
    `options` (a later `-c` wins). Connect args alone would replace the URL's options."""
    url = make_url(database_url)
    own = url.query.get("options")
    given = " ".join(own) if isinstance(own, tuple) else own
    merged = f"{given} {options}" if given else options
    return url.difference_update_query(["options"]), {"options": merged}


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    dialect = engine.dialect
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _returned(_: Any, record: ConnectionPoolEntry) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _check(
        dbapi_connection: Any, record: ConnectionPoolEntry, _: PoolProxiedConnection
    ) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return  # new, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # As pool_pre_ping does: drop every connection opened before now and check out a
                # fresh one (the pool retries the checkout).
                raise InvalidatePoolError() from error
            raise


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: rows stay readable after commit, for building responses.
    return async_sessionmaker(engine, expire_on_commit=False)
