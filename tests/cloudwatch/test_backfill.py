"""The one-off hour-row backfill: data stored before ingest wrote hour rows gets them."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from cfnapi.cloudwatch.backfill import backfill_hour_rows
from cfnapi.cloudwatch.evaluator import AlarmEvaluator
from cfnapi.cloudwatch.models import MetricAggregate
from cfnapi.cloudwatch.statistics import Aggregate
from cfnapi.cloudwatch.store import MetricKey, MetricStore, Sample

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
T0 = NOW - timedelta(days=3)  # an hour boundary
KEY = MetricKey("App", "Latency", (("Host", "a"),))
OTHER = MetricKey("App", "Errors", ())
HOURS = 6


class _NoActions:
    def dispatch(self, transition):
        raise AssertionError(f"no alarm exists, yet {transition} was dispatched")


def _put(store, key, rng, start, minutes, per_minute=3):
    samples = []
    for minute in range(minutes):
        values = rng.lognormal(3, 1, per_minute).tolist()
        counts = rng.integers(1, 4, per_minute).astype(float).tolist()
        samples.append(Sample(key, start + timedelta(minutes=minute, seconds=7), "Milliseconds",
                              Aggregate.of_values(values, counts)))
    store.put("111", "r1", samples, NOW)


def _drop_hour_rows(db, before=None):
    """What a database written before hour rows existed holds: minute rows only."""
    condition = MetricAggregate.resolution == 3600
    if before is not None:
        condition &= MetricAggregate.period_start < int(before.timestamp())
    with db.transaction() as session:
        session.execute(delete(MetricAggregate).where(condition))


def _hour_rows(db) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(MetricAggregate).where(MetricAggregate.resolution == 3600))


def _by_hour_from_minute_rows(store, key, start, end):
    """The reference: the minute rows' answer, merged per hour here."""
    merged = {}
    for (ts, unit), agg in store.statistics("111", "r1", key, start, end, 60, with_sketches=True).items():
        hour = (ts.replace(minute=0), unit)
        if hour in merged:
            merged[hour].merge(agg)
        else:
            merged[hour] = agg
    return merged


def _assert_same(hour_answer, minute_answer):
    assert hour_answer.keys() == minute_answer.keys() and hour_answer
    for key, expected in minute_answer.items():
        got = hour_answer[key]
        assert got.sample_count == expected.sample_count
        assert got.sum == pytest.approx(expected.sum, rel=1e-12)
        assert (got.minimum, got.maximum) == (expected.minimum, expected.maximum)
        for p in ("p10", "p50", "p99"):
            assert got.statistic(p) == expected.statistic(p)


def test_backfill_gives_whole_hour_queries_the_minute_rows_answer(db):
    store = MetricStore(db)
    rng = np.random.default_rng(7)
    _put(store, KEY, rng, T0, HOURS * 60)
    _put(store, OTHER, rng, T0, 90, per_minute=1)
    end = T0 + timedelta(hours=HOURS)
    _drop_hour_rows(db)
    # Before: a whole-hour query reads hour rows, and there are none.
    assert store.statistics("111", "r1", KEY, T0, end, 3600) == {}

    assert backfill_hour_rows(store, NOW, metrics_per_batch=1) == HOURS + 2

    for key in (KEY, OTHER):
        reference = _by_hour_from_minute_rows(store, key, T0, end)
        _assert_same(store.statistics("111", "r1", key, T0, end, 3600, with_sketches=True), reference)
        plain = store.statistics("111", "r1", key, T0, end, 3600)
        assert {k: a.sample_count for k, a in plain.items()} == {k: a.sample_count for k, a in reference.items()}
    # Idempotent: a second run finds every hour complete and writes nothing.
    assert backfill_hour_rows(store, NOW) == 0


def test_backfill_completes_an_hour_half_written_before_the_upgrade(db):
    store = MetricStore(db)
    rng = np.random.default_rng(8)
    _put(store, KEY, rng, T0, 30)  # minutes 0-29, stored before hour rows existed
    _drop_hour_rows(db)
    _put(store, KEY, rng, T0 + timedelta(minutes=30), 30)  # minutes 30-59, after: the hour row holds only these
    end = T0 + timedelta(hours=1)
    assert store.statistics("111", "r1", KEY, T0, end, 3600)[(T0, "Milliseconds")].sample_count < \
        _by_hour_from_minute_rows(store, KEY, T0, end)[(T0, "Milliseconds")].sample_count

    assert backfill_hour_rows(store, NOW) == 1
    _assert_same(store.statistics("111", "r1", KEY, T0, end, 3600, with_sketches=True),
                 _by_hour_from_minute_rows(store, KEY, T0, end))


def test_backfill_leaves_complete_hours_and_old_hours_alone(db):
    store = MetricStore(db)
    rng = np.random.default_rng(9)
    _put(store, KEY, rng, T0, 120)  # hour rows written at ingest: complete
    with db.transaction() as session:
        before = sorted(session.execute(select(MetricAggregate.period_start, MetricAggregate.sample_count,
                                               MetricAggregate.sketch).where(MetricAggregate.resolution == 3600)))
    assert backfill_hour_rows(store, NOW) == 0
    # Minute rows of an hour older than the 63 days finer rows are kept: not used (retention drops them).
    assert backfill_hour_rows(store, T0 + timedelta(days=64)) == 0
    with db.transaction() as session:
        after = sorted(session.execute(select(MetricAggregate.period_start, MetricAggregate.sample_count,
                                              MetricAggregate.sketch).where(MetricAggregate.resolution == 3600)))
    assert after == before and len(after) == 2


def test_the_evaluator_backfills_before_its_first_cycle(db):
    store = MetricStore(db)
    _put(store, KEY, np.random.default_rng(10), T0, 120)
    _drop_hour_rows(db)
    assert _hour_rows(db) == 0
    evaluator = AlarmEvaluator(db, lambda: NOW, _NoActions())
    evaluator.maintain(NOW)
    assert _hour_rows(db) == 2
    end = T0 + timedelta(hours=2)
    _assert_same(store.statistics("111", "r1", KEY, T0, end, 3600, with_sketches=True),
                 _by_hour_from_minute_rows(store, KEY, T0, end))
