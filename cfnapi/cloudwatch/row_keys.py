"""Reading aggregate rows by their whole primary key, many keys per statement.

SQLite searches no index for ``(metric_id, resolution, period_start, unit) IN (VALUES …)``,
the form SQLAlchemy renders for a tuple IN: it scans the whole table (EXPLAIN QUERY PLAN:
``SCAN cw_aggregates``), so the lookup a PutMetricData does of the rows it merges into grew
with the store — 11 ms per call at 100,000 rows. Joining a VALUES list to the table instead
makes SQLite and PostgreSQL search the primary key once per key (``SEARCH … USING INDEX``);
on SQLite the join is a CROSS JOIN, which keeps the VALUES list the outer loop.

The SQL is plain text handed to the driver, built once per chunk size; chunks are padded
to a power of two by repeating their last key (a repeated key finds the same row again,
which the caller's dict absorbs), so a handful of texts serve every call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

KEY_COLUMNS = ("metric_id", "resolution", "period_start", "unit")
MAX_CHUNK = 256  # 1,024 bound values: far below SQLite's and PostgreSQL's limits


class RowsByKey:
    """``fetch(connection, keys)`` yields ``(key, values)`` for the stored rows among ``keys``."""

    def __init__(self, table_name: str, columns: Sequence[str], *, sqlite: bool, lock: bool):
        self.table_name = table_name
        self.columns = tuple(columns)
        self.sqlite = sqlite
        self.lock = lock and not sqlite  # PostgreSQL: FOR UPDATE of the rows found
        self._sql: dict[int, str] = {}

    def fetch(self, connection, keys: Sequence[tuple]) -> Iterator[tuple[tuple, tuple]]:
        width = len(KEY_COLUMNS)
        for start in range(0, len(keys), MAX_CHUNK):
            chunk = list(keys[start:start + MAX_CHUNK])
            size = _padded(len(chunk))
            chunk += [chunk[-1]] * (size - len(chunk))
            flat = [value for key in chunk for value in key]
            for row in connection.exec_driver_sql(self._text(size), tuple(flat)).all():
                yield tuple(row[:width]), tuple(row[width:])

    def _text(self, size: int) -> str:
        sql = self._sql.get(size)
        if sql is None:
            p = "?" if self.sqlite else "%s"  # sqlite3's and psycopg's positional markers
            join = "CROSS JOIN" if self.sqlite else "JOIN"
            values = ", ".join([f"({p}, {p}, {p}, {p})"] * size)
            selected = ", ".join(f"a.{c}" for c in (*KEY_COLUMNS, *self.columns))
            on = " AND ".join(f"a.{c} = k.{c}" for c in KEY_COLUMNS)
            sql = (f"WITH k({', '.join(KEY_COLUMNS)}) AS (VALUES {values}) "
                   f"SELECT {selected} FROM k {join} {self.table_name} AS a ON {on}")
            if self.lock:
                # Rows are locked in the order they are returned: the key order, the same in
                # every writer, so two concurrent PutMetricData calls cannot deadlock.
                sql += f" ORDER BY {', '.join(f'a.{c}' for c in KEY_COLUMNS)} FOR UPDATE OF a"
            self._sql[size] = sql
        return sql


def _padded(n: int) -> int:
    size = 1
    while size < n:
        size *= 2
    return size
