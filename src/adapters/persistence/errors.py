"""What a database error means to the caller: the database cannot be reached (retry later), or it
refused this change (retrying the same change cannot help)."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

from application.errors import ApplicationError, Conflict, StorageRejected, StorageUnavailable

# SQLSTATE classes of a server that cannot serve now: connection exception (08), insufficient
# resources (53: too many connections, disk full), operator intervention (57: shutdown, a statement
# timeout), system error (58: I/O); and states a retry gets past (serialization failure, deadlock,
# lock wait timeout).
_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58"})
_UNAVAILABLE_STATES = frozenset({"40001", "40P01", "55P03"})
# The server ended the session: admin shutdown, crash shutdown, cannot connect now.
_SESSION_ENDED = frozenset({"57P01", "57P02", "57P03"})
# The driver failed without a server's answer: the connection closed, or its protocol is out of step.
_DRIVER_FAILURES = (asyncpg.InterfaceError, asyncpg.InternalClientError, OSError, TimeoutError)


def translate(error: BaseException) -> ApplicationError | None:
    """The application error for a database error; None for anything else (a bug: let it surface)."""
    if isinstance(error, OSError | TimeoutError | sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return StorageUnavailable("the database is unavailable")  # unreachable, or the pool timed out
    if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError | asyncpg.InternalClientError):
        # asyncpg's own, unwrapped: only connecting raises it so (every statement's error is wrapped),
        # e.g. the server refusing connections while it starts up or shuts down.
        return StorageUnavailable("the database is unavailable")
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    state = _sqlstate(error)
    if isinstance(error, sa_exc.IntegrityError) or (state or "").startswith("23"):
        return Conflict("the change conflicts with stored data")
    if error.connection_invalidated or _unavailable(error, state):
        return StorageUnavailable("the database is unavailable")
    if (state or "").startswith("22"):  # data exception: a value too long, a NUL in a string, …
        return StorageRejected("the database refused a value of the change")
    return None


def session_lost(error: BaseException) -> bool:
    """Whether a failed operation may have left its connection unusable: anything but the server
    refusing a statement (after which the session is intact, and a ROLLBACK ends its transaction)."""
    if not isinstance(error, sa_exc.DBAPIError) or error.connection_invalidated:
        return True
    state = _sqlstate(error)
    return state is None or state[:2] == "08" or state in _SESSION_ENDED


def _sqlstate(error: sa_exc.DBAPIError) -> str | None:
    # SQLAlchemy's asyncpg adapter copies it onto its own exception; the driver path keeps asyncpg's.
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def _unavailable(error: sa_exc.DBAPIError, state: str | None) -> bool:
    if state is not None:
        return state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_STATES
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True  # SQLite: locked, unable to open, disk I/O; asyncpg adapter: connection closed
    return any(isinstance(cause, _DRIVER_FAILURES) for cause in (error.orig, getattr(error.orig, "__cause__", None)))
