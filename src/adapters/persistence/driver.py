"""Statements built once, run on PostgreSQL through the asyncpg connection under SQLAlchemy's.

Why: CPU per webhook event. SQLAlchemy's execution path around asyncpg (compiled-cache lookup,
execution context, parameter construction, the adapted cursor and its greenlet, Row building)
costs nearly as much CPU per statement as asyncpg itself, and a webhook event runs 5 to 7
statements (figures in bench/README.md). DATABASE_FAST_PATH=false turns this path off.
For a statement declared `reusable(...)` — built once at import, with bind parameters — the SQL,
the positional order of its parameters and its bind/result processors are taken from SQLAlchemy's
own compilation once per dialect, and each execution is one asyncpg call plus those processors.
The values sent and the values read back are exactly those SQLAlchemy would send and read (same
processors, same codecs: the connection is still SQLAlchemy's, with the JSON codecs its dialect
installs). Everything else (dynamic statements, SQLite) keeps SQLAlchemy's own path.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

_REUSABLE: dict[int, ClauseElement] = {}  # id → statement; the statements live as long as the process
S = TypeVar("S", bound=ClauseElement)


def reusable(statement: S) -> S:
    """Declare a statement built once (module constant or cached builder): on PostgreSQL it runs
    through the driver path below. Returns the statement itself."""
    _REUSABLE[id(statement)] = statement
    return statement


def is_reusable(statement: object) -> bool:
    return _REUSABLE.get(id(statement)) is statement


# Everything asyncpg raises of its own: server errors, a closed connection, a protocol out of step
# (e.g. the server ended the session between two statements).
ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
_COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


@dataclass(frozen=True, slots=True)
class _Bind:
    name: str
    default: Any  # the statement's own value for binds the caller does not pass (e.g. `attempts + 1`)
    required: bool
    process: Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    binds: tuple[_Bind, ...]
    columns: tuple[str, ...]  # empty: the statement returns no rows (rowcount from its status)
    processors: tuple[Callable[[Any], Any] | None, ...]
    row_type: type[tuple[Any, ...]]

    def arguments(self, parameters: dict[str, Any] | None) -> list[Any]:
        values = parameters or {}
        out = []
        for bind in self.binds:
            if bind.name in values:
                value = values[bind.name]
            elif bind.required:
                raise sa_exc.ArgumentError(f"a value is required for bind parameter {bind.name!r}")
            else:
                value = bind.default
            out.append(bind.process(value) if bind.process is not None else value)
        return out

    def row(self, record: Sequence[Any]) -> tuple[Any, ...]:
        return self.row_type(*(p(v) if p is not None else v for p, v in zip(self.processors, record, strict=True)))


_COMPILED: dict[tuple[int, str], Compiled] = {}


def compiled(statement: ClauseElement, dialect: Dialect) -> Compiled:
    key = (id(statement), dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = _compile(statement, dialect)
    return found


def _compile(statement: ClauseElement, dialect: Dialect) -> Compiled:
    c = statement.compile(dialect=dialect)
    if not isinstance(c, SQLCompiler) or c.positiontup is None:
        raise TypeError("the driver path needs a positional SQL compilation")
    if c.escaped_bind_names or c.literal_execute_params or c.post_compile_params:
        raise TypeError("the driver path takes plain bind parameters only (no expanding IN, no escaping)")
    if c.insert_prefetch or c.update_prefetch or any(bind.callable is not None for bind in c.binds.values()):
        # Values SQLAlchemy computes per execution (Python-side column defaults): not taken once.
        raise TypeError("the driver path takes plain bind parameters only (no Python-side defaults)")
    processors = c._bind_processors
    binds = []
    for name in c.positiontup:
        bind = c.binds[name]
        binds.append(
            _Bind(
                name=name,
                default=bind.effective_value,
                required=bool(bind.required),
                process=processors.get(name),  # type: ignore[arg-type]
            )
        )
    entries = c._result_columns
    columns = tuple(entry.keyname for entry in entries)
    return Compiled(
        sql=c.string,
        binds=tuple(binds),
        columns=columns,
        processors=tuple(entry.type._cached_result_processor(dialect, None) for entry in entries),
        row_type=collections.namedtuple("Row", columns, rename=True) if columns else tuple,  # type: ignore[misc]
    )


class Rows:
    """The part of SQLAlchemy's CursorResult the repositories use."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise sa_exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return self._rows[0] if self._rows else None


async def run(connection: asyncpg.Connection, statement: Compiled, parameters: dict[str, Any] | None) -> Rows:
    arguments = statement.arguments(parameters)
    try:
        if statement.columns:
            records = await connection.fetch(statement.sql, *arguments)
            return Rows([statement.row(r) for r in records], len(records))
        status = await connection.execute(statement.sql, *arguments)
    except ERRORS as exc:
        raise translate(exc, statement.sql) from exc
    counted = _COUNT.match(status or "")
    return Rows([], int(counted.group(1)) if counted else -1)


async def simple(connection: asyncpg.Connection, sql: str) -> None:
    """BEGIN, COMMIT, SAVEPOINT …: one simple-protocol round trip."""
    try:
        await connection.execute(sql)
    except ERRORS as exc:
        raise translate(exc, sql) from exc


def translate(error: Exception, sql: str) -> sa_exc.DBAPIError:
    """The SQLAlchemy exception its own execution path would raise, so callers catch one family."""
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return sa_exc.IntegrityError(sql, None, error)
    return sa_exc.DBAPIError(sql, None, error)
