"""Engine and session factory. The caller (a request or an activity) owns the transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]


def make_engine(database_url: str, pool_size: int = 10, *, pre_ping: bool = True) -> AsyncEngine:
    # pre_ping costs a round trip per checkout; a benchmark on a private server may turn it off.
    return create_async_engine(
        database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping
    )


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: rows stay readable after commit, for building responses.
    return async_sessionmaker(engine, expire_on_commit=False)
