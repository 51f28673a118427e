"""Which database errors mean "not now" rather than "wrong": the database is down or restarting,
out of connections, a statement or lock wait ran past its limit, or a transaction lost a
serialization race. The API answers those 503 with Retry-After; anything else is a fault (500).

Classified by SQLSTATE (PostgreSQL Appendix A, "Error Codes") where the server sent one; an error
without one is the client library's, i.e. the connection itself failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import psycopg
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class Outage(StrEnum):
    # The server refused or ended the session; what the request had done was rolled back.
    UNAVAILABLE = "unavailable"
    # statement_timeout or lock_timeout (store/db.py sets both): the statement was cancelled.
    TIMEOUT = "timeout"
    # A serialization failure or deadlock: PostgreSQL rolled the transaction back.
    CONFLICT = "conflict"
    # This process's pool had no free connection in time; nothing reached the database.
    BUSY = "busy"
    # The connection broke during a statement without the server saying why: a write (or its
    # COMMIT) may have been applied before the break, so the outcome is unknown.
    LOST = "lost"


# SQLSTATE classes and codes, each with what it means here.
_BY_CLASS = {
    "08": Outage.UNAVAILABLE,  # connection exception
    "53": Outage.UNAVAILABLE,  # insufficient resources: too many connections, disk full, memory
}
_BY_CODE = {
    "57P01": Outage.UNAVAILABLE,  # admin_shutdown (a fast or smart shutdown, a failover)
    "57P02": Outage.UNAVAILABLE,  # crash_shutdown (another backend crashed; the server resets)
    "57P03": Outage.UNAVAILABLE,  # cannot_connect_now (starting up, recovering)
    "25P03": Outage.UNAVAILABLE,  # idle_in_transaction_session_timeout ended the session
    "57P05": Outage.UNAVAILABLE,  # idle_session_timeout ended the session
    "57014": Outage.TIMEOUT,  # query_canceled: statement_timeout (or an operator's cancel)
    "55P03": Outage.TIMEOUT,  # lock_not_available: lock_timeout
    "40001": Outage.CONFLICT,  # serialization_failure
    "40P01": Outage.CONFLICT,  # deadlock_detected
}

# What a request handler may see from the database layer: SQLAlchemy's errors, and psycopg's own
# from the claims hot path, which runs on the driver directly (store/repositories/tasks.py).
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, psycopg.Error)


@dataclass(frozen=True)
class Trouble:
    """A database error that a later retry may not meet."""

    outage: Outage
    sqlstate: str | None
    # The driver's first line: never the SQL or its parameters, which may carry client data.
    summary: str


def classify(error: BaseException) -> Trouble | None:
    """The outage behind `error`, or None when it is a fault that a retry would only repeat."""
    if isinstance(error, PoolTimeoutError):
        return Trouble(Outage.BUSY, None, _first_line(error))
    driver = error.orig if isinstance(error, DBAPIError) else error
    if not isinstance(driver, psycopg.Error):
        return None
    summary = _first_line(driver)
    sqlstate = driver.sqlstate
    if sqlstate is not None:
        outage = _BY_CODE.get(sqlstate) or _BY_CLASS.get(sqlstate[:2])
        return None if outage is None else Trouble(outage, sqlstate, summary)
    if not isinstance(driver, psycopg.OperationalError):
        return None
    if isinstance(error, DBAPIError) and not error.connection_invalidated:
        # SQLAlchemy raised it without a connection to invalidate: connecting failed (refused,
        # unreachable, authentication timed out), so nothing was sent.
        return Trouble(Outage.UNAVAILABLE, None, summary)
    # An established connection broke mid-statement: SQLAlchemy invalidated it, or it was the
    # driver's own (the hot path connects through SQLAlchemy, so its errors are never connects).
    return Trouble(Outage.LOST, None, summary)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
