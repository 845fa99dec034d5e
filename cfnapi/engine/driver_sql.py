"""Many-row INSERTs handed straight to SQLite's driver.

SQLAlchemy builds and converts every parameter set of an executemany in Python;
for the 500 rows and 1,500 events a wave of 500 resources writes, that cost
more than SQLite itself. On SQLite these statements are built once (per table
and column list) and their rows converted with the columns' own bind processors,
so what is stored is exactly what SQLAlchemy would store. Other databases keep
SQLAlchemy's path (psycopg batches executemany itself).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

# SQLite's default limit on bound variables in one statement (SQLITE_MAX_VARIABLE_NUMBER).
_SQLITE_MAX_VARIABLES = 32766


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


@functools.lru_cache(maxsize=64)
def _converters(table: Table, columns: tuple[str, ...], dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns)


def _converted(rows: Sequence[dict[str, Any]], columns: tuple[str, ...], converters) -> list[tuple]:
    pairs = tuple(zip(columns, converters))
    return [tuple(row[name] if convert is None else convert(row[name]) for name, convert in pairs) for row in rows]


def _columns_sql(connection: Connection, table: Table, columns: tuple[str, ...]) -> str:
    quote = connection.dialect.identifier_preparer.quote
    return f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) VALUES "


def insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if not _is_sqlite(connection):
        connection.execute(insert(table), rows)
        return
    columns = tuple(rows[0])
    sql = _columns_sql(connection, table, columns) + f"({', '.join('?' * len(columns))})"
    connection.exec_driver_sql(sql, _converted(rows, columns, _converters(table, columns, connection.dialect)))


def insert_returning(connection: Connection, table: Table, rows: list[dict[str, Any]],
                     returning: tuple[str, ...]) -> list[tuple]:
    """Multi-row INSERT of ``rows`` (dicts with the same keys) returning the ``returning``
    columns of each new row, in no particular order."""
    if not _is_sqlite(connection):
        statement = insert(table).returning(*(table.c[name] for name in returning))
        return [tuple(found) for found in connection.execute(statement, rows).all()]
    columns = tuple(rows[0])
    converters = _converters(table, columns, connection.dialect)
    quote = connection.dialect.identifier_preparer.quote
    group = f"({', '.join('?' * len(columns))})"
    tail = f" RETURNING {', '.join(quote(name) for name in returning)}"
    per_statement = max(1, _SQLITE_MAX_VARIABLES // len(columns))
    found: list[tuple] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        sql = _columns_sql(connection, table, columns) + ", ".join([group] * len(chunk)) + tail
        flat = [value for row in _converted(chunk, columns, converters) for value in row]
        found.extend(tuple(row) for row in connection.exec_driver_sql(sql, tuple(flat)).all())
    return found
