"""Hour rows for data stored before ingest wrote them: a one-off that is safe to repeat.

Whole-hour periods are answered from hour rows (``ranges.py``), which ingest has
written beside each minute row only since that change. Data stored earlier has
minute (or 5-minute) rows but no hour row, or an hour row holding only the samples
that arrived after the upgrade, so a whole-hour query over that time would miss it.

``backfill_hour_rows`` rebuilds, from the minute and 5-minute rows, every hour row
that holds fewer samples than the finer rows of its hour. Inside the time the finer
rows are kept (63 days) every sample ingest stored is in them, and an hour row
written at ingest holds a subset of them, so:

- fewer samples in the hour row than in its finer rows (or no hour row) means the
  hour row misses data stored before the change: it is rebuilt from the finer rows;
- as many means it is complete: left alone, which is why running again changes
  nothing (the check is one grouped primary-key range read per batch of metrics).

Hours older than that are left alone: their finer rows are being dropped by
retention, and before the change such data was rolled into hour rows already.

Why a step the alarm evaluator runs before its first cycle, and not an Alembic data
migration: rebuilding an hour row merges quantile sketches, which only the store's
code knows how to do, and migrations must not import model or store code (it
changes; a migration must not). Being driven by the data, the step needs no record
of having run, cannot run "too early", and repairs a database restored from an old
backup as well. It runs in the worker (not on the API's request path), one batch of
metrics per transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, func, select

from cfnapi.cloudwatch.models import Metric, MetricAggregate
from cfnapi.cloudwatch.ranges import FIVE_MINUTES, HOUR, MINUTE
from cfnapi.cloudwatch.statistics import Aggregate
from cfnapi.cloudwatch.store import ROLLUPS, MetricStore
from cfnapi.cloudwatch.timeutil import as_utc, epoch, from_epoch

log = logging.getLogger(__name__)

METRICS_PER_BATCH = 200
_FINE_KEPT = max(kept for resolution, kept, _ in ROLLUPS if resolution == FIVE_MINUTES)
_RELATIVE_SLACK = 1e-9  # sample counts are floats (Counts); sums in another order may differ in the last bits


def backfill_hour_rows(store: MetricStore, now: datetime, metrics_per_batch: int = METRICS_PER_BATCH) -> int:
    """Rebuild the incomplete hour rows (see the module's notes); returns how many were written."""
    oldest = epoch(as_utc(now) - _FINE_KEPT)
    since = oldest - oldest % HOUR + HOUR  # the first hour whose finer rows are all still kept
    rebuilt, after_id = 0, 0
    while True:
        with store.db.core_transaction() as connection:
            ids = list(connection.execute(select(Metric.id).where(Metric.id > after_id)
                                          .order_by(Metric.id).limit(metrics_per_batch)).scalars())
        if not ids:
            break
        after_id = ids[-1]
        rebuilt += _rebuild_batch(store, ids, since)
    if rebuilt:
        log.info("rebuilt %d hour rows from minute rows stored before hour rows were written", rebuilt)
    return rebuilt


def _rebuild_batch(store: MetricStore, metric_ids: list[int], since: int) -> int:
    with store.db.core_transaction() as connection:
        if not _incomplete_hours(connection, metric_ids, since):
            return 0  # the usual case after the first run: nothing locked, nothing written
    with store.write_turn(), store.db.core_transaction() as connection:
        if not store.db.is_sqlite:
            # Ingest adds to hour rows as it goes; keep it out while this batch replaces them.
            connection.exec_driver_sql(f"LOCK TABLE {MetricAggregate.__tablename__} IN EXCLUSIVE MODE")
        rebuilt = {}
        for metric_id, unit, hour in _incomplete_hours(connection, metric_ids, since):
            minutes = store.statistics_for_id(connection, metric_id, from_epoch(hour), from_epoch(hour + HOUR),
                                              MINUTE, unit, with_sketches=True)
            merged = Aggregate()
            for aggregate in minutes.values():
                merged.merge(aggregate)
            rebuilt[(metric_id, HOUR, hour, unit)] = merged
        store.replace_aggregates(connection, rebuilt)
        return len(rebuilt)


def _incomplete_hours(connection, metric_ids: list[int], since: int) -> list[tuple[int, str, int]]:
    """(metric id, unit, hour start) of each hour whose hour row holds fewer samples than its finer rows."""
    t = MetricAggregate.__table__
    hour_of = t.c.period_start - t.c.period_start % HOUR
    fine = (select(t.c.metric_id, t.c.unit, hour_of.label("hour"), func.sum(t.c.sample_count).label("samples"))
            .where(t.c.metric_id.in_(metric_ids), t.c.resolution.in_((MINUTE, FIVE_MINUTES)),
                   t.c.period_start >= since)
            .group_by(t.c.metric_id, t.c.unit, hour_of)).subquery()
    hour_row = t.alias("hour_row")
    query = select(fine.c.metric_id, fine.c.unit, fine.c.hour, fine.c.samples, hour_row.c.sample_count).select_from(
        fine.outerjoin(hour_row, and_(hour_row.c.metric_id == fine.c.metric_id, hour_row.c.resolution == HOUR,
                                      hour_row.c.period_start == fine.c.hour, hour_row.c.unit == fine.c.unit)))
    return [(metric_id, unit, int(hour)) for metric_id, unit, hour, samples, in_hour_row in connection.execute(query)
            if in_hour_row is None or in_hour_row < samples - _RELATIVE_SLACK * samples]

