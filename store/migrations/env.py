"""Alembic environment: migrations run synchronously on the psycopg driver."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by store.migrate"
    # No statement timeout for a migration's own connection: an index build may take longer
    # than any request should, even where the database or role sets a limit for the runtime.
    engine = create_engine(
        url, poolclass=pool.NullPool, connect_args={"options": "-c statement_timeout=0"}
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
