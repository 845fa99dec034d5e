"""The metric store: pre-aggregated per-period rows, upserted in batches.

Standard-resolution data is kept per minute; high-resolution data
(StorageResolution=1) per second *and* per minute, so that queries with a
period of a minute or more never touch per-second rows. Every sample is also
added to its 1-hour row at ingest, so a query whose period is a whole number
of hours reads hour rows (168 for a week) plus, at ragged ends, minute rows —
its cost does not grow with the data stored. ``compact`` applies AWS's
retention: per-second rows live 3 hours, per-minute rows are rolled into
5-minute rows after 15 days, those are dropped after 63 days (the hour rows
already hold their data), and everything goes after 455 days.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cfnapi.cloudwatch.models import Metric, MetricAggregate
from cfnapi.cloudwatch.ranges import (
    FIVE_MINUTES, HIGH_RESOLUTION, HOUR, MINUTE, RangeStatements, bucket_of, period_bucket, range_parameters,
    rows_for_range,
)
from cfnapi.cloudwatch.row_keys import RowsByKey
from cfnapi.cloudwatch.sketch import QuantileSketch
from cfnapi.cloudwatch.statistics import Aggregate
from cfnapi.cloudwatch.timeutil import as_utc, epoch, from_epoch
from cfnapi.db import Database

Dimensions = tuple[tuple[str, str], ...]

# (source resolution, kept for, rolled into) — AWS's documented retention.
ROLLUPS = (
    (HIGH_RESOLUTION, timedelta(hours=3), None),  # also stored per minute, so just dropped
    (MINUTE, timedelta(days=15), FIVE_MINUTES),
    (FIVE_MINUTES, timedelta(days=63), None),  # hour rows are written at ingest
)
RETENTION = timedelta(days=455)
_LAST_PUT_REFRESH = timedelta(minutes=1)
# The aggregate columns in the order rows are written (the key, then the statistics and sketch).
ROW_COLUMNS = ("metric_id", "resolution", "period_start", "unit", "sample_count", "sum", "minimum", "maximum",
               "sketch")
_METRIC_CACHE_SIZE = 100_000


def canonical_dimensions(dimensions: Iterable[tuple[str, str]]) -> Dimensions:
    return tuple(sorted((str(n), str(v)) for n, v in dimensions))


def metric_identity(namespace: str, metric_name: str, dimensions: Dimensions) -> str:
    raw = json.dumps([namespace, metric_name, dimensions], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class MetricKey:
    namespace: str
    metric_name: str
    dimensions: Dimensions

    @functools.cached_property
    def identity(self) -> str:
        return metric_identity(self.namespace, self.metric_name, self.dimensions)


@dataclass
class Sample:
    """One PutMetricData datum, already aggregated (Value, Values/Counts or StatisticValues)."""

    key: MetricKey
    timestamp: datetime
    unit: str
    aggregate: Aggregate
    high_resolution: bool = False


class MetricStore:
    def __init__(self, db: Database):
        self.db = db
        # SQLite allows one writer; serialising our read-merge-write here avoids
        # SQLITE_BUSY upgrades between threads of the one process that uses it.
        self._sqlite_write_lock = threading.Lock() if db.is_sqlite else None
        self._metric_cache: dict[tuple[str, str, MetricKey], tuple[int, datetime]] = {}  # ingest: id, last put
        # (account, region, identity) -> metric id, for queries. Metric rows are never
        # deleted or renumbered, so an id once found stays right in every process.
        self._metric_ids: dict[tuple[str, str, str], int] = {}
        self._statements: dict = {}
        self._ranges = RangeStatements(MetricAggregate.__table__)
        table = MetricAggregate.__tablename__
        self._locked_sketches = RowsByKey(table, ("sketch",), sqlite=db.is_sqlite, lock=True)
        self._locked_rows = RowsByKey(table, ("sample_count", "sum", "minimum", "maximum", "sketch"),
                                      sqlite=db.is_sqlite, lock=True)

    # -- ingest --------------------------------------------------------------
    def put(self, account_id: str, region: str, samples: list[Sample], now: datetime) -> None:
        if not samples:
            return
        if self._sqlite_write_lock is None:
            self._put(account_id, region, samples, now)
        else:
            with self._sqlite_write_lock:
                self._put(account_id, region, samples, now)

    def _put(self, account_id: str, region: str, samples: list[Sample], now: datetime) -> None:
        with self.db.core_transaction() as connection:
            metric_ids = self._upsert_metrics(connection, account_id, region, {s.key for s in samples}, now)
            deltas: dict[tuple[int, int, int, str], Aggregate] = {}
            for sample in samples:
                metric_id = metric_ids[sample.key]
                ts = epoch(sample.timestamp)
                resolutions = (HIGH_RESOLUTION, MINUTE, HOUR) if sample.high_resolution else (MINUTE, HOUR)
                for resolution in resolutions:
                    row_key = (metric_id, resolution, ts - ts % resolution, sample.unit)
                    if row_key in deltas:
                        deltas[row_key].merge(sample.aggregate)
                    else:
                        deltas[row_key] = sample.aggregate.copy()
            self._upsert_aggregates(connection, deltas)

    def _insert(self):
        return sqlite.insert if self.db.is_sqlite else postgresql.insert

    def _upsert_metrics(self, connection, account_id, region, keys, now) -> dict[MetricKey, int]:
        """Metric ids for ``keys``, creating metrics as needed.

        ``last_put_at`` (what ListMetrics' RecentlyActive reads) is refreshed at
        most once a minute per metric, which keeps a hot ingest path to one
        cached lookup per metric — by the key itself, so a cached metric's
        identity (a SHA-256) is not even computed.
        """
        ids: dict[MetricKey, int] = {}
        stale = []
        for key in keys:
            cached = self._metric_cache.get((account_id, region, key))
            if cached is not None and now - cached[1] < _LAST_PUT_REFRESH:
                ids[key] = cached[0]
            else:
                stale.append(key)
        if not stale:
            return ids
        table = Metric.__table__
        stmt = self._insert()(table)
        stmt = stmt.on_conflict_do_update(index_elements=["account_id", "region", "identity"],
                                          set_={"last_put_at": stmt.excluded.last_put_at})
        connection.execute(stmt, [
            {"account_id": account_id, "region": region, "namespace": k.namespace,
             "metric_name": k.metric_name, "dimensions": json.dumps(k.dimensions),
             "identity": k.identity, "last_put_at": now} for k in stale])
        found = dict(connection.execute(select(table.c.identity, table.c.id).where(
            table.c.account_id == account_id, table.c.region == region,
            table.c.identity.in_([k.identity for k in stale]))).all())
        if len(self._metric_cache) > _METRIC_CACHE_SIZE:
            self._metric_cache.clear()
        for key in stale:
            ids[key] = found[key.identity]
            self._metric_cache[(account_id, region, key)] = (found[key.identity], now)
        return ids

    def _upsert_aggregates(self, session, deltas: dict[tuple[int, int, int, str], Aggregate]) -> None:
        keys = sorted(deltas)  # new rows are inserted in key order too (the lock order on PostgreSQL)
        existing = self._load_sketches(session, keys)
        rows = []
        for key in keys:
            delta = deltas[key]
            sketch = delta.sketch
            if key in existing:
                sketch = QuantileSketch.from_bytes(existing[key])
                sketch.merge(delta.sketch)
            rows.append((*key, delta.sample_count, delta.sum, delta.minimum, delta.maximum, sketch.to_bytes()))
        self._write_aggregates(session, rows, additive=True)

    def _upsert_statement(self, additive: bool):
        """One cached statement per mode, executed with many parameter sets (compiled once)."""
        cache_key = ("upsert", additive)
        if cache_key not in self._statements:
            least = func.min if self.db.is_sqlite else func.least
            greatest = func.max if self.db.is_sqlite else func.greatest
            table = MetricAggregate.__table__
            stmt = self._insert()(table)
            ex = stmt.excluded
            if additive:
                update = {
                    "sample_count": table.c.sample_count + ex.sample_count,
                    "sum": table.c.sum + ex.sum,
                    "minimum": least(table.c.minimum, ex.minimum),
                    "maximum": greatest(table.c.maximum, ex.maximum),
                    "sketch": ex.sketch,
                }
            else:
                update = {c: ex[c] for c in ("sample_count", "sum", "minimum", "maximum", "sketch")}
            self._statements[cache_key] = stmt.on_conflict_do_update(
                index_elements=["metric_id", "resolution", "period_start", "unit"], set_=update)
        return self._statements[cache_key]

    def replace_aggregates(self, connection, aggregates: dict[tuple[int, int, int, str], Aggregate]) -> None:
        """Write whole rows (sketch included), replacing any stored under the same keys."""
        rows = [(*key, agg.sample_count, agg.sum, agg.minimum, agg.maximum, agg.sketch.to_bytes())
                for key, agg in sorted(aggregates.items())]
        self._write_aggregates(connection, rows, additive=False)

    def write_turn(self):
        """Held around a read-merge-write on SQLite (one writer); nothing to hold on PostgreSQL."""
        return self._sqlite_write_lock or contextlib.nullcontext()

    def _write_aggregates(self, session, rows: list[tuple], additive: bool) -> None:
        """Upsert rows (tuples in ``ROW_COLUMNS`` order); ``additive`` adds the counts to a row
        that already exists.

        The sketch column always carries the fully merged sketch (the caller
        read and locked the old one); the numeric columns merge in SQL so
        concurrent writers on PostgreSQL never lose counts.
        """
        if not rows:
            return
        sql, names = self._upsert_text(additive)
        if names is None:  # a driver with named parameters (psycopg)
            rows = [dict(zip(ROW_COLUMNS, row)) for row in rows]
        elif names != ROW_COLUMNS:
            order = [ROW_COLUMNS.index(name) for name in names]
            rows = [tuple(row[i] for i in order) for row in rows]
        _connection(session).exec_driver_sql(sql, rows)

    def _upsert_text(self, additive: bool) -> tuple[str, tuple[str, ...] | None]:
        """The upsert compiled once to the driver's SQL, run with ``exec_driver_sql``: for the
        dozens of rows of every PutMetricData, SQLAlchemy's per-row parameter processing cost
        more than SQLite's executemany."""
        cache_key = ("upsert-text", additive)
        if cache_key not in self._statements:
            compiled = self._upsert_statement(additive).compile(dialect=self.db.engine.dialect)
            self._statements[cache_key] = (str(compiled), tuple(compiled.positiontup) if compiled.positional
                                           else None)
        return self._statements[cache_key]

    def _load_sketches(self, session, keys) -> dict[tuple, bytes]:
        """The stored sketches of the rows among ``keys`` (locked on PostgreSQL until commit)."""
        return {key: values[0] for key, values in self._locked_sketches.fetch(_connection(session), keys)}

    def _load_rows(self, session, keys) -> dict[tuple, Aggregate]:
        """The stored aggregates of the rows among ``keys`` (locked on PostgreSQL until commit)."""
        return {key: Aggregate(count, total, low, high, QuantileSketch.from_bytes(sketch))
                for key, (count, total, low, high, sketch) in self._locked_rows.fetch(_connection(session), keys)}

    # -- queries -------------------------------------------------------------
    def find_metric_id(self, session, account_id: str, region: str, key: MetricKey) -> int | None:
        cache_key = (account_id, region, key.identity)
        metric_id = self._metric_ids.get(cache_key)
        if metric_id is None:
            metric_id = _connection(session).execute(self._metric_id_statement(), {
                "account_id": account_id, "region": region, "identity": key.identity}).scalar()
            if metric_id is not None:
                if len(self._metric_ids) > _METRIC_CACHE_SIZE:
                    self._metric_ids.clear()
                self._metric_ids[cache_key] = metric_id
        return metric_id

    def _metric_id_statement(self):
        if "metric_id" not in self._statements:
            table = Metric.__table__
            self._statements["metric_id"] = select(table.c.id).where(
                table.c.account_id == bindparam("account_id"), table.c.region == bindparam("region"),
                table.c.identity == bindparam("identity"))
        return self._statements["metric_id"]

    def statistics(self, account_id: str, region: str, key: MetricKey, start: datetime, end: datetime,
                   period: int, unit: str | None = None, with_sketches: bool = False,
                   ) -> dict[tuple[datetime, str], Aggregate]:
        """Aggregates per (period start, unit) for ``[start, end)``, merged from stored rows."""
        with self.db.core_transaction() as connection:
            metric_id = self.find_metric_id(connection, account_id, region, key)
            if metric_id is None:
                return {}
            return self.statistics_for_id(connection, metric_id, start, end, period, unit, with_sketches)

    def statistics_for_id(self, session, metric_id: int, start: datetime, end: datetime, period: int,
                          unit: str | None, with_sketches: bool) -> dict[tuple[datetime, str], Aggregate]:
        """``session`` may be an ORM Session or a Core Connection; the prebuilt statement runs on
        the connection either way. Without sketches the aggregates carry none (``sketch`` None):
        SQL merges the rows per period and percentiles are not asked for."""
        params = range_parameters(metric_id, epoch(start), epoch(end), period)
        if unit is not None:
            params["unit"] = unit
        rows = _connection(session).execute(self._ranges.statement(with_sketches, unit is not None), params).all()
        result: dict[tuple[datetime, str], Aggregate] = {}
        if not with_sketches:
            for b, u, count, total, lo_v, hi_v in rows:
                result[(from_epoch(int(b)), u)] = Aggregate(count, total, lo_v, hi_v, None)
            return result
        for period_start, u, count, total, lo_v, hi_v, sketch in rows:
            key = (from_epoch(bucket_of(period_start, params["origin"], period)), u)
            agg = Aggregate(count, total, lo_v, hi_v, QuantileSketch.from_bytes(sketch))
            if key in result:
                result[key].merge(agg)
            else:
                result[key] = agg
        return result

    def statistics_for_ids(self, session, metric_ids: list[int], start: datetime, end: datetime, period: int,
                           unit: str | None) -> dict[int, dict[tuple[datetime, str], Aggregate]]:
        """SampleCount/Sum/Min/Max for many metrics in one grouped query (the evaluator's batch path)."""
        table = MetricAggregate.__table__
        bucket = period_bucket(table.c.period_start, period, epoch(start))
        query = (
            select(table.c.metric_id, bucket, table.c.unit, func.sum(table.c.sample_count), func.sum(table.c.sum),
                   func.min(table.c.minimum), func.max(table.c.maximum))
            .where(rows_for_range(table, table.c.metric_id.in_(metric_ids), epoch(start), epoch(end), period))
            .group_by(table.c.metric_id, bucket, table.c.unit)
        )
        if unit is not None:
            query = query.where(table.c.unit == unit)
        result: dict[int, dict[tuple[datetime, str], Aggregate]] = {}
        for metric_id, b, u, count, total, lo_v, hi_v in session.execute(query):
            result.setdefault(metric_id, {})[(from_epoch(int(b)), u)] = Aggregate(count, total, lo_v, hi_v, None)
        return result

    def list_metrics(self, account_id: str, region: str, namespace: str | None, metric_name: str | None,
                     active_since: datetime | None) -> list[Metric]:
        with self.db.transaction() as session:
            query = select(Metric).where(Metric.account_id == account_id, Metric.region == region)
            if namespace is not None:
                query = query.where(Metric.namespace == namespace)
            if metric_name is not None:
                query = query.where(Metric.metric_name == metric_name)
            if active_since is not None:
                query = query.where(Metric.last_put_at >= active_since)
            return list(session.scalars(query.order_by(Metric.id)))

    # -- retention -----------------------------------------------------------
    def compact(self, now: datetime, batch_size: int = 5000) -> int:
        """Roll up and expire rows as AWS documents; returns how many rows were removed."""
        removed = 0
        now_s = epoch(as_utc(now))
        for source, kept_for, target in ROLLUPS:
            cutoff = now_s - int(kept_for.total_seconds())
            while True:
                moved = self._roll_batch(source, target, cutoff, batch_size)
                removed += moved
                if moved < batch_size:
                    break
        with self.db.transaction() as session:
            result = session.execute(delete(MetricAggregate).where(
                MetricAggregate.period_start < now_s - int(RETENTION.total_seconds())))
            removed += result.rowcount or 0
        return removed

    def _roll_batch(self, source: int, target: int | None, cutoff: int, batch_size: int) -> int:
        with self.write_turn(), self.db.transaction() as session:
            query = (select(MetricAggregate)
                     .where(MetricAggregate.resolution == source, MetricAggregate.period_start < cutoff)
                     .order_by(MetricAggregate.metric_id, MetricAggregate.period_start).limit(batch_size))
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            if not rows:
                return 0
            if target is not None:
                rolled: dict[tuple, Aggregate] = {}
                for row in rows:
                    key = (row.metric_id, target, row.period_start - row.period_start % target, row.unit)
                    agg = Aggregate(row.sample_count, row.sum, row.minimum, row.maximum,
                                    QuantileSketch.from_bytes(row.sketch))
                    if key in rolled:
                        rolled[key].merge(agg)
                    else:
                        rolled[key] = agg
                existing = self._load_rows(session, sorted(rolled))
                for key, agg in rolled.items():
                    if key in existing:
                        agg.merge(existing[key])
                self.replace_aggregates(session, rolled)
            for row in rows:
                session.delete(row)
            return len(rows)


def _connection(session_or_connection):
    """The Core Connection under an ORM Session (statements skip the ORM's execution layer)."""
    if isinstance(session_or_connection, Session):
        return session_or_connection.connection()
    return session_or_connection
