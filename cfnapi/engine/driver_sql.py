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

from sqlalchemy import JSON, Table, insert
from sqlalchemy.engine import Connection

# SQLite's default limit on bound variables in one statement (SQLITE_MAX_VARIABLE_NUMBER).
_SQLITE_MAX_VARIABLES = 32766


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


@functools.lru_cache(maxsize=64)
def _converters(table: Table, columns: tuple[str, ...], dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    converters = []
    for name in columns:
        column_type = table.c[name].type
        convert = column_type.dialect_impl(dialect).bind_processor(dialect)
        converters.append(_json_shortcuts(convert) if isinstance(column_type, JSON) and convert else convert)
    return tuple(converters)


def _json_shortcuts(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` with the two values most JSON columns hold (nothing, an empty mapping)
    answered from their conversion made once, instead of serialised for every row."""
    as_null, as_empty = convert(None), convert({})

    def converted(value: Any) -> Any:
        if value is None:
            return as_null
        if type(value) is dict and not value:
            return as_empty
        return convert(value)

    return converted


def _converted(rows: Sequence[dict[str, Any]], columns: tuple[str, ...], converters) -> list[tuple]:
    """Each row's values as the driver takes them. A value that is the very object the
    previous row had in that column (a wave's shared timestamps) is converted once."""
    to_convert = [i for i, convert in enumerate(converters) if convert is not None]
    last_in: list[Any] = [_NOTHING] * len(columns)
    last_out: list[Any] = [None] * len(columns)
    converted = []
    for row in rows:
        values = [row[name] for name in columns]
        for i in to_convert:
            value = values[i]
            if value is not last_in[i]:
                last_in[i], last_out[i] = value, converters[i](value)
            values[i] = last_out[i]
        converted.append(tuple(values))
    return converted


_NOTHING = object()


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
