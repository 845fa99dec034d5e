"""The store and the evaluator's claiming on PostgreSQL, in a private schema dropped afterwards."""

import threading
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from cfnapi.cloudwatch import models  # noqa: F401
from cfnapi.cloudwatch.actions import ActionCallbackRegistry
from cfnapi.cloudwatch.evaluator import AlarmEvaluator
from cfnapi.cloudwatch.statistics import Aggregate
from cfnapi.cloudwatch.store import MetricKey, MetricStore, Sample
from cfnapi.db import Base, Database
from cfnapi.handlers.base import RequestContext
from cfnapi.handlers.cloudwatch import CloudWatchHandlers

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
KEY = MetricKey("App", "Latency", (("Host", "a"),))


@pytest.fixture
def pg(postgres_url):
    database = Database(postgres_url)
    Base.metadata.create_all(database.engine, tables=[m.__table__ for m in (
        models.Metric, models.MetricAggregate, models.Alarm, models.AlarmHistory, models.Dashboard,
        models.ResourceTag)])
    try:
        yield database
    finally:
        database.dispose()


def test_concurrent_ingest_on_postgres_loses_nothing(pg):
    store = MetricStore(pg)
    rng = np.random.default_rng(1)
    values = rng.lognormal(3, 1, 4000)
    offsets = rng.integers(0, 600, 4000)
    # Create every row first so the concurrent phase exercises locked read-merge-write.
    store.put("111", "r1", [Sample(KEY, T0 + timedelta(minutes=m), "None", Aggregate.of_values([0.0]))
                            for m in range(10)], T0)
    chunks = np.array_split(np.arange(4000), 8)

    def worker(idx):
        samples = [Sample(KEY, T0 + timedelta(seconds=int(offsets[i])), "None", Aggregate.of_values([values[i]]))
                   for i in idx]
        for start in range(0, len(samples), 50):
            store.put("111", "r1", samples[start:start + 50], T0)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = store.statistics("111", "r1", KEY, T0, T0 + timedelta(minutes=10), 600, with_sketches=True)
    [agg] = result.values()
    assert agg.sample_count == 4010 and agg.sum == pytest.approx(values.sum())
    assert agg.sketch.count == 4010
    exact = np.quantile(np.concatenate([values, np.zeros(10)]), 0.9, method="lower")
    assert abs(agg.statistic("p90") - exact) <= 0.0101 * exact
    store.compact(T0 + timedelta(days=16))
    assert store.statistics("111", "r1", KEY, T0, T0 + timedelta(minutes=10), 600)[(T0, "None")].sample_count == 4010


def test_two_evaluators_evaluate_each_alarm_once(pg):
    ctx = RequestContext("111", "AK", "r1", "req")
    cw = CloudWatchHandlers(pg, clock=lambda: T0)
    for i in range(60):
        cw.handler_for("PutMetricAlarm")(ctx, {
            "AlarmName": f"a{i}", "Namespace": "App", "MetricName": "CPU", "Statistic": "Average",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "breaching"})

    class Dispatcher:
        def dispatch(self, transition):
            pass

    evaluators = [AlarmEvaluator(pg, lambda: T0, Dispatcher(), batch_size=7) for _ in range(3)]
    counts = []
    threads = [threading.Thread(target=lambda e=e: counts.append(e.evaluate_all(T0 + timedelta(minutes=1))))
               for e in evaluators]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 60
    alarms = cw.handler_for("DescribeAlarms")(ctx, {"MaxRecords": 100})["MetricAlarms"]
    assert {a["StateValue"] for a in alarms} == {"ALARM"}
    history = cw.handler_for("DescribeAlarmHistory")(ctx, {"HistoryItemType": "StateUpdate"})["AlarmHistoryItems"]
    assert len(history) == 60
    assert ActionCallbackRegistry().find("arn:x") is None
