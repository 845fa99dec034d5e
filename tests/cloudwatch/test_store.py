from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from cfnapi.cloudwatch.ranges import rounded_start
from cfnapi.cloudwatch.sketch import DEFAULT_RELATIVE_ACCURACY
from cfnapi.cloudwatch.statistics import Aggregate
from cfnapi.cloudwatch.store import MetricKey, MetricStore, Sample, canonical_dimensions
from cfnapi.cloudwatch.models import MetricAggregate
from sqlalchemy import func, select

T0 = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)
KEY = MetricKey("App", "Latency", canonical_dimensions([("Host", "a")]))
BOUND = DEFAULT_RELATIVE_ACCURACY * 1.000001


def _ingest(store, values, offsets_s, high_resolution=False, batch=200, account="111", key=KEY):
    samples = [Sample(key, T0 + timedelta(seconds=float(o)), "Milliseconds", Aggregate.of_values([float(v)]),
                      high_resolution) for v, o in zip(values, offsets_s)]
    for i in range(0, len(samples), batch):
        store.put(account, "r1", samples[i:i + batch], T0)


def _check_against_numpy(result, values, offsets_s, period, percentiles=(50, 90, 99.9), origin=0):
    """``origin``: the (rounded) StartTime, in seconds after T0; periods are counted from it, as AWS does."""
    buckets = origin + ((np.asarray(offsets_s) - origin) // period) * period
    assert {int((ts - T0).total_seconds()) for ts, _ in result} == set(np.unique(buckets).tolist())
    for (ts, unit), agg in result.items():
        assert unit == "Milliseconds"
        chunk = values[buckets == int((ts - T0).total_seconds())]
        assert agg.sample_count == len(chunk)
        assert agg.sum == pytest.approx(chunk.sum())
        assert agg.minimum == chunk.min() and agg.maximum == chunk.max()
        if agg.sketch is not None and agg.sketch.count:  # plain reads carry no sketch
            for p in percentiles:
                exact = np.quantile(chunk, p / 100, method="lower")
                assert abs(agg.statistic(f"p{p}") - exact) <= BOUND * abs(exact)


@pytest.mark.parametrize("period", [60, 300, 3600])
def test_standard_resolution_statistics_match_numpy_across_period_boundaries(db, period):
    rng = np.random.default_rng(period)
    offsets = rng.integers(0, 3 * 3600, 3000)
    values = rng.lognormal(4, 1, 3000)
    store = MetricStore(db)
    _ingest(store, values, offsets)
    end = T0 + timedelta(hours=3)
    fast = store.statistics("111", "r1", KEY, T0, end, period)
    _check_against_numpy(fast, values, offsets, period)
    with_sketch = store.statistics("111", "r1", KEY, T0, end, period, with_sketches=True)
    _check_against_numpy(with_sketch, values, offsets, period)


@pytest.mark.parametrize("period", [1, 10, 30, 60])
def test_high_resolution_statistics_match_numpy(db, period):
    rng = np.random.default_rng(period + 100)
    offsets = rng.integers(0, 600, 2000)
    values = rng.normal(100, 20, 2000)
    store = MetricStore(db)
    _ingest(store, values, offsets, high_resolution=True)
    result = store.statistics("111", "r1", KEY, T0, T0 + timedelta(minutes=10), period, with_sketches=True)
    _check_against_numpy(result, values, offsets, period)


@pytest.mark.parametrize("period", [3600, 7200])
@pytest.mark.parametrize("lo", [3600, 1500, 1560 + 2 * 3600])
def test_whole_hour_periods_over_a_range_with_ragged_ends_match_numpy(db, period, lo):
    """From a start on the hour, hour rows serve the whole hours and minute rows the ragged end;
    from 00:25 or 02:26 the periods start there (00:25, 01:25, …) and minute rows answer it all."""
    rng = np.random.default_rng(period + 7)
    offsets = rng.integers(0, 10 * 3600, 5000)
    values = rng.lognormal(3, 1, 5000)
    store = MetricStore(db)
    _ingest(store, values, offsets, batch=1000)
    hi = 9 * 3600 + 1260  # 09:21: a partial last period
    inside = (offsets >= lo) & (offsets < hi)
    for with_sketches in (False, True):
        result = store.statistics("111", "r1", KEY, T0 + timedelta(seconds=lo), T0 + timedelta(seconds=hi),
                                  period, with_sketches=with_sketches)
        _check_against_numpy(result, values[inside], offsets[inside], period, origin=lo)


@pytest.mark.parametrize("period", [60, 300, 900])
def test_periods_count_from_an_unaligned_start_match_numpy(db, period):
    rng = np.random.default_rng(period + 11)
    offsets = rng.integers(0, 3 * 3600, 3000)
    values = rng.lognormal(4, 1, 3000)
    store = MetricStore(db)
    _ingest(store, values, offsets)
    lo, hi = 7 * 60, 3 * 3600  # 00:07: five-minute periods are 00:07, 00:12, …
    inside = (offsets >= lo) & (offsets < hi)
    for with_sketches in (False, True):
        result = store.statistics("111", "r1", KEY, T0 + timedelta(seconds=lo), T0 + timedelta(seconds=hi),
                                  period, with_sketches=with_sketches)
        _check_against_numpy(result, values[inside], offsets[inside], period, origin=lo)


def test_hour_rows_alone_answer_whole_hours(db):
    """Ingest writes hour rows: with every finer row gone, whole hours still answer."""
    store = MetricStore(db)
    _ingest(store, np.array([1.0, 2.0, 4.0]), [10, 1800, 3700])
    with db.transaction() as session:
        session.execute(MetricAggregate.__table__.delete().where(MetricAggregate.resolution != 3600))
    result = store.statistics("111", "r1", KEY, T0, T0 + timedelta(hours=2), 3600)
    assert {ts: (a.sample_count, a.sum) for (ts, _), a in result.items()} == {
        T0: (2, 3.0), T0 + timedelta(hours=1): (1, 4.0)}
    # From 00:01 an hour row would straddle two periods: only minute rows may answer (here: none left).
    assert store.statistics("111", "r1", KEY, T0 + timedelta(minutes=1), T0 + timedelta(hours=2), 3600) == {}


def test_data_is_scoped_to_the_account(db):
    store = MetricStore(db)
    _ingest(store, np.array([1.0]), [0], account="111")
    assert store.statistics("222", "r1", KEY, T0, T0 + timedelta(hours=1), 60) == {}
    assert store.list_metrics("222", "r1", None, None, None) == []
    assert len(store.list_metrics("111", "r1", "App", None, None)) == 1


def test_compaction_rolls_up_and_keeps_statistics(db):
    rng = np.random.default_rng(5)
    offsets = rng.integers(0, 2 * 86400, 4000)
    values = rng.exponential(10, 4000)
    store = MetricStore(db)
    _ingest(store, values, offsets, batch=1000)
    now = T0 + timedelta(days=17)
    store.compact(now)
    with db.transaction() as session:
        by_res = dict(session.execute(select(MetricAggregate.resolution, func.count())
                                      .group_by(MetricAggregate.resolution)).all())
    # All data older than 15 days → 5-minute rows; the hour rows written at ingest stay.
    assert set(by_res) == {300, 3600}
    result = store.statistics("111", "r1", KEY, T0, T0 + timedelta(days=2), 3600, with_sketches=True)
    _check_against_numpy(result, values, offsets, 3600)
    store.compact(T0 + timedelta(days=64))
    result = store.statistics("111", "r1", KEY, T0, T0 + timedelta(days=2), 86400, with_sketches=True)
    _check_against_numpy(result, values, offsets, 86400)
    store.compact(T0 + timedelta(days=460))
    assert store.statistics("111", "r1", KEY, T0, T0 + timedelta(days=2), 86400) == {}


def test_high_resolution_rows_expire_after_three_hours_but_minute_rows_stay(db):
    store = MetricStore(db)
    _ingest(store, np.array([1.0, 2.0]), [0, 1], high_resolution=True)
    store.compact(T0 + timedelta(hours=4))
    assert store.statistics("111", "r1", KEY, T0, T0 + timedelta(minutes=1), 1) == {}
    assert store.statistics("111", "r1", KEY, T0, T0 + timedelta(minutes=1), 60)[(T0, "Milliseconds")].sum == 3.0


@pytest.mark.parametrize("age,period,expected", [
    (timedelta(days=1), 60, "12:32:00"), (timedelta(days=20), 300, "12:30:00"),
    (timedelta(days=70), 3600, "12:00:00"), (timedelta(hours=1), 10, "12:32:30"),
    (timedelta(hours=1), 5, "12:32:30"), (timedelta(hours=1), 1, "12:32:34"),
])
def test_start_time_is_rounded_as_the_aws_documentation_gives_it(age, period, expected):
    start = datetime(2026, 11, 1, 12, 32, 34, tzinfo=timezone.utc)
    rounded = rounded_start(int(start.timestamp()), period, int((start + age).timestamp()))
    assert datetime.fromtimestamp(rounded, timezone.utc).strftime("%H:%M:%S") == expected
