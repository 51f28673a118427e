"""Alembic environment: migrations run synchronously on the psycopg driver."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from store.db import with_startup_options
from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by store.migrate"
    # No statement timeout for a migration's own connection: an index build may take longer
    # than any request should, even where the database or role sets a limit for the runtime.
    # lock_timeout is left to the role on purpose: a migration queued behind a long transaction
    # for an ACCESS EXCLUSIVE lock holds every later request behind it; failing (it rolls back
    # whole; run it again) is the better outcome. The URL's own options are kept.
    engine_url, connect_args = with_startup_options(url, "-c statement_timeout=0")
    engine = create_engine(engine_url, poolclass=pool.NullPool, connect_args=connect_args)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
