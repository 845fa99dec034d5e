"""Server CPU of one CloudWatch request, in-process: the whole WSGI app (signature,
protocol parsing, constraint checks, handler, store, serialization) without HTTP,
threads or the client's own time.

    PYTHONPATH=. .venv/bin/python -m benchmarks.request_cpu query            # week query
    PYTHONPATH=. .venv/bin/python -m benchmarks.request_cpu ingest           # PutMetricData
    PYTHONPATH=. .venv/bin/python -m benchmarks.request_cpu query --profile  # cProfile, top 30

A real boto3 client signs and serializes each request; a ``before-send`` hook hands
the prepared request to the app instead of the network, so every byte the app sees
is what botocore sends. The measured request is then replayed against the app
``--repeats`` times and the CPU time (``time.process_time``) of each call is taken;
the median is printed as one JSON line. ``--protocol`` picks CloudWatch's wire
protocol (json, query or smithy-rpc-v2-cbor).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from werkzeug.test import run_wsgi_app  # noqa: E402

from cfnapi.config import Settings  # noqa: E402
from cfnapi.server import build_runtime  # noqa: E402
from cfnapi.testing.inprocess import inprocess_client  # noqa: E402
from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY  # noqa: E402

def _client(app, protocol: str):
    return inprocess_client(app, "cloudwatch", protocol=protocol, access_key=TEST_ACCESS_KEY,
                            secret_key=TEST_SECRET_KEY)


def _week(cw, end: dt.datetime) -> None:
    start = end - dt.timedelta(days=7)
    datums = [{"MetricName": "Queried", "Timestamp": start + dt.timedelta(minutes=i), "Unit": "Count",
               "Value": float(i % 60)} for i in range(7 * 24 * 60)]
    for first in range(0, len(datums), 1000):
        cw.put_metric_data(Namespace="Bench/Week", MetricData=datums[first:first + 1000])


def _query(cw, end: dt.datetime) -> None:
    result = cw.get_metric_statistics(
        Namespace="Bench/Week", MetricName="Queried", StartTime=end - dt.timedelta(days=7), EndTime=end,
        Period=3600, Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
    count = sum(point["SampleCount"] for point in result["Datapoints"])
    if count != 7 * 24 * 60:
        raise RuntimeError(f"week query saw {count} samples")


def _ingest(cw, call: int = 0) -> None:
    cw.put_metric_data(Namespace="Bench/Ingest", MetricData=[
        {"MetricName": f"Ingest{m}", "Dimensions": [{"Name": "Shard", "Value": str(call % 8)}],
         "Values": [float((call + m + v) % 97) for v in range(50)], "Unit": "Count"} for m in range(20)])


def measure(what: str, protocol: str, repeats: int, profile: bool, on_the_hour: bool = False) -> dict:
    os.environ["CFNAPI_ACCESS_KEY_ID"], os.environ["CFNAPI_SECRET_ACCESS_KEY"] = TEST_ACCESS_KEY, TEST_SECRET_KEY
    with tempfile.TemporaryDirectory(prefix="cfnapi-cpu-") as data_dir:
        runtime = build_runtime(Settings(data_dir=Path(data_dir), run_worker=False))
        try:
            cw, routed = _client(runtime.app, protocol)
            end = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
            if on_the_hour:  # periods then fall on hour rows; otherwise minute rows answer (AWS counts from StartTime)
                end = end.replace(minute=0)
            if what == "query":
                _week(cw, end)
                _query(cw, end)
            else:
                _ingest(cw)
            request = routed.last
            environs = [routed.environ(request) for _ in range(repeats)]  # built before the clock starts
            profiler = cProfile.Profile() if profile else None
            cpu = []
            for environ in environs:
                if profiler:
                    profiler.enable()
                started = time.process_time()
                app_iter, status, _ = run_wsgi_app(runtime.app, environ)
                b"".join(app_iter)
                cpu.append(time.process_time() - started)
                if profiler:
                    profiler.disable()
                if not status.startswith("200"):
                    raise RuntimeError(f"replayed request answered {status}")
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
                print(out.getvalue(), file=sys.stderr)
            return {"what": what, "protocol": protocol, "repeats": repeats,
                    "start_on_the_hour": end.minute == 0, "median_cpu_ms": statistics.median(cpu) * 1000, "min_cpu_ms": min(cpu) * 1000,
                    "load_average": os.getloadavg()[0]}
        finally:
            runtime.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["query", "ingest"])
    parser.add_argument("--protocol", default="json", choices=["json", "query", "smithy-rpc-v2-cbor"])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--on-the-hour", action="store_true", help="week query's StartTime on a whole hour")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.what, args.protocol, args.repeats, args.profile, args.on_the_hour)), flush=True)


if __name__ == "__main__":
    main()
