"""INSERT … ON CONFLICT, written once for both dialects we run on (PostgreSQL, SQLite ≥ 3.24 share
the syntax).

Why text and not `postgresql.insert(...).on_conflict_do_nothing()`: SQLAlchemy's dialect Insert
constructs opt out of the compiled cache (`inherit_cache = False`), so they would be compiled again
for every webhook event and effect. These statements are built once per table and
column set, with typed bind parameters (so DateTimeUTC and JSON columns convert as usual), and
reused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, TextClause, TextualSelect, bindparam, text

from adapters.persistence.driver import reusable
from adapters.persistence.transaction import Transaction


def _binds(table: Table, columns: tuple[str, ...], suffix: str = "") -> tuple[str, str, list[Any]]:
    # Identifiers come from our own Table metadata (`table.c[c]` raises for anything else); values
    # only ever travel as bound parameters (named `<column><suffix>`).
    names = ", ".join(f'"{c}"' for c in columns)
    params = ", ".join(f":{c}{suffix}" for c in columns)
    return names, params, [bindparam(f"{c}{suffix}", type_=table.c[c].type) for c in columns]


@cache
def _insert_ignoring_conflicts(table: Table, columns: tuple[str, ...]) -> TextClause:
    names, params, binds = _binds(table, columns)
    return reusable(
        text(f'INSERT INTO "{table.name}" ({names}) VALUES ({params}) ON CONFLICT DO NOTHING').bindparams(*binds)  # noqa: S608
    )


@cache
def _insert_rows_ignoring_conflicts(
    table: Table, columns: tuple[str, ...], count: int, returning: str
) -> TextualSelect:
    names, rows, binds = "", [], []
    for i in range(count):
        names, params, row_binds = _binds(table, columns, f"_{i}")
        rows.append(f"({params})")
        binds += row_binds
    return reusable(
        text(
            f'INSERT INTO "{table.name}" ({names}) VALUES {", ".join(rows)} '  # noqa: S608
            f'ON CONFLICT DO NOTHING RETURNING "{table.c[returning].name}"'
        )
        .bindparams(*binds)
        .columns(table.c[returning])  # the rows it returns, typed
    )


@cache
def _upsert(table: Table, key: str, columns: tuple[str, ...]) -> TextClause:
    names, params, binds = _binds(table, columns)
    changes = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != key)
    return reusable(
        text(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({params}) ON CONFLICT ("{key}") DO UPDATE SET {changes}'  # noqa: S608
        ).bindparams(*binds)
    )


async def insert_if_absent(db: Transaction, table: Table, values: dict[str, Any]) -> bool:
    """Insert the row unless its primary key (or another unique key) exists. True when inserted."""
    result: Any = await db.execute(_insert_ignoring_conflicts(table, tuple(values)), values)
    return bool(result.rowcount == 1)


async def insert_all_if_absent(
    db: Transaction, table: Table, rows: Sequence[Mapping[str, Any]], returning: str
) -> set[Any]:
    """`insert_if_absent` for several rows (same columns) in one statement; returns the `returning`
    column of the rows inserted. Built once per column set and row count."""
    if not rows:
        return set()
    columns = tuple(rows[0])
    statement = _insert_rows_ignoring_conflicts(table, columns, len(rows), returning)
    params = {f"{c}_{i}": row[c] for i, row in enumerate(rows) for c in columns}
    return {row[0] for row in await db.execute(statement, params)}


async def upsert(db: Transaction, table: Table, values: dict[str, Any], key: str) -> None:
    await db.execute(_upsert(table, key, tuple(values)), values)
