"""Measurements that need cfnapi's insides, each run in its own subprocess
(``python -m benchmarks.inprocess statements|alarms``) printing one JSON line.

- ``statements``: cfnapi serves in this process (waitress in a thread) with a
  SQLAlchemy ``before_cursor_execute`` listener on every engine. Statements are
  attributed to the engine when the thread issuing them is one of the engine's
  (names ``cfn-worker``, ``cfn-stack*``, ``cfn-resource*``, ``cfn-watch*``);
  the rest (API requests, including the benchmark's DescribeStacks polling)
  are reported apart.
- ``alarms``: the alarm evaluator called in-process (``AlarmEvaluator.evaluate_all``)
  on a SQLite store holding 10,000 metric alarms over 100 metrics with data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ENGINE_THREAD_PREFIXES = ("cfn-worker", "cfn-stack", "cfn-resource", "cfn-watch")


def count_statements(resources: int) -> dict:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts: Counter[str] = Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        name = threading.current_thread().name
        counts["engine" if name.startswith(ENGINE_THREAD_PREFIXES) else "api"] += 1

    @event.listens_for(Engine, "commit")
    def _count_commit(conn):  # noqa: ARG001
        if threading.current_thread().name.startswith(ENGINE_THREAD_PREFIXES):
            counts["engine_commits"] += 1

    import waitress

    from cfnapi.config import Settings
    from cfnapi.server import build_runtime
    from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY, free_port

    os.environ.update(CFNAPI_ACCESS_KEY_ID=TEST_ACCESS_KEY, CFNAPI_SECRET_ACCESS_KEY=TEST_SECRET_KEY)
    port = free_port()
    settings = Settings(port=port, data_dir=Path(tempfile.mkdtemp(prefix="cfnapi-stmts-")), alarm_interval=3600)
    runtime = build_runtime(settings)
    runtime.start_background()
    server = waitress.create_server(runtime.app, host="127.0.0.1", port=port, threads=settings.threads)
    threading.Thread(target=server.run, daemon=True).start()

    from benchmarks.targets import Target
    from benchmarks.workloads import create_stack, independent_template

    cfn = Target("cfnapi", f"http://127.0.0.1:{port}", os.getpid(), lambda: None).client("cloudformation")
    counts.clear()
    timing = create_stack(cfn, independent_template("AWS::CloudFormation::WaitConditionHandle", resources))
    result = {"resources": resources, "engine_statements": counts["engine"], "api_statements": counts["api"],
              "engine_per_resource": counts["engine"] / resources, "engine_commits": counts["engine_commits"],
              "seconds": timing["seconds"]}
    server.close()
    return result


def evaluate_alarms(alarms: int, metrics: int = 100) -> dict:
    from cfnapi.cloudwatch.actions import DefaultActionDispatcher
    from sqlalchemy import func, select

    from cfnapi.cloudwatch.evaluator import AlarmEvaluator
    from cfnapi.cloudwatch.models import Alarm
    from cfnapi.db import Database
    from cfnapi.db.schema import migrate
    from cfnapi.handlers.base import RequestContext
    from cfnapi.handlers.cloudwatch import CloudWatchHandlers

    db = Database(f"sqlite:///{Path(tempfile.mkdtemp(prefix='cfnapi-alarms-')) / 'cw.sqlite'}")
    migrate(db)
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    caller = RequestContext(account_id="123456789012", access_key_id="", region="us-east-1", request_id="")
    dispatcher = DefaultActionDispatcher()
    handlers = CloudWatchHandlers(db, dispatcher=dispatcher, clock=lambda: now)
    # Ten minutes of 1-minute data for each metric.
    for first in range(0, metrics, 50):
        handlers.put_metric_data(caller, {"Namespace": "Bench/Alarms", "MetricData": [
            {"MetricName": f"M{m}", "Timestamp": now - dt.timedelta(minutes=k), "Value": float(m % 100)}
            for m in range(first, min(first + 50, metrics)) for k in range(1, 11)]})
    for i in range(alarms):
        handlers.put_metric_alarm(caller, {
            "AlarmName": f"alarm-{i:05d}", "Namespace": "Bench/Alarms", "MetricName": f"M{i % metrics}",
            "Statistic": "Average", "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
            "Threshold": float((i * 37) % 100), "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "missing"})
    evaluator = AlarmEvaluator(db, lambda: now, dispatcher)
    cycles = []
    # First cycle: every alarm leaves INSUFFICIENT_DATA (a transition and a history item
    # each); second cycle, a minute later: the same data, no transitions (steady state).
    for cycle in range(2):
        started = time.perf_counter()
        evaluated = evaluator.evaluate_all(now + dt.timedelta(minutes=cycle, seconds=1))
        cycles.append(time.perf_counter() - started)
        if evaluated != alarms:
            raise RuntimeError(f"evaluated {evaluated} alarms, expected {alarms}")
    with db.transaction() as session:
        in_alarm = session.scalar(select(func.count()).select_from(Alarm).where(Alarm.state_value == "ALARM"))
    return {"alarms": alarms, "seconds": cycles[0], "steady_seconds": cycles[1], "in_alarm": in_alarm}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["statements", "alarms"])
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    result = count_statements(args.count) if args.what == "statements" else evaluate_alarms(args.count)
    print(json.dumps(result), flush=True)
    sys.stdout.flush()
    os._exit(0)  # background worker threads need not be joined


if __name__ == "__main__":
    main()
