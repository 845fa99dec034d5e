"""cfnapi side by side with moto's server: the same boto3 workloads against both
in one run, each figure printed for both with the ratio.

    PYTHONPATH=. .venv/bin/python benchmarks/run.py            # everything (a few minutes)
    PYTHONPATH=. .venv/bin/python benchmarks/run.py --quick    # small sizes, about a minute
    PYTHONPATH=. .venv/bin/python benchmarks/run.py --only stacks,chain

The "cfnapi advantage" column is > 1 when cfnapi is better: moto's time over
cfnapi's for durations, cfnapi's rate over moto's for throughput. Not part of
CI's pass/fail; the figures and the machine go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from benchmarks import workloads  # noqa: E402
from benchmarks.targets import start_cfnapi, start_moto  # noqa: E402

ALL = ("stacks", "chain", "events", "ingest", "query", "alarms", "statements", "rss")


class Report:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []

    def pair(self, label: str, unit: str, cfnapi: float | None, moto: float | None, higher_is_better: bool) -> None:
        advantage = ""
        if cfnapi and moto:
            advantage = f"{(cfnapi / moto) if higher_is_better else (moto / cfnapi):.2f}x"
        self.row(label, _fmt(cfnapi, unit), _fmt(moto, unit), advantage)

    def row(self, label: str, cfnapi: str, moto: str = "", advantage: str = "") -> None:
        self.rows.append((label, cfnapi, moto, advantage))
        print(f"  {label:<62} {cfnapi:>14} {moto:>14} {advantage:>10}", flush=True)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:,.0f} {unit}".strip()


def _both(targets, work):
    """Run ``work(target)`` on each target; a failure is printed and becomes None."""
    results = {}
    for target in targets:
        try:
            cpu_before = target.cpu_seconds()
            results[target.name] = work(target)
            if isinstance(results[target.name], dict) and cpu_before is not None:
                results[target.name]["server_cpu"] = target.cpu_seconds() - cpu_before
        except Exception as error:  # one side failing must not hide the other's figure
            print(f"  ! {target.name}: {type(error).__name__}: {str(error)[:300]}", flush=True)
            results[target.name] = None
    return results


def _cpu_row(report, results) -> None:
    report.pair("  server CPU time (user + system)", "s", _get(results, "cfnapi", "server_cpu"),
                _get(results, "moto", "server_cpu"), False)


def _get(results, name, key):
    value = results.get(name)
    return None if value is None else value.get(key)


def run_stacks(targets, report, sizes, types):
    biggest = {}
    for resource_type in types:
        _, capabilities = workloads.RESOURCE_TYPES[resource_type]
        for size in sizes:
            template = workloads.independent_template(resource_type, size)
            short = resource_type.split("::")[-1]
            if workloads.template_bytes(template) > workloads.MAX_TEMPLATE_BODY:
                report.row(f"create {size} x {short}: template over AWS's 51,200-byte TemplateBody limit",
                           "skipped", "skipped")
                continue
            results = _both(targets, lambda t: workloads.create_stack(t.client("cloudformation"), template,
                                                                      capabilities))
            report.pair(f"create {size} x {short} to CREATE_COMPLETE", "s",
                        _get(results, "cfnapi", "seconds"), _get(results, "moto", "seconds"), False)
            _reached_row(targets, report, results)
            _cpu_row(report, results)
            if resource_type == "AWS::CloudFormation::WaitConditionHandle":
                biggest = {name: r and r["stack"] for name, r in results.items()}
    return biggest


def run_chain(targets, report, length):
    template = workloads.chain_template(length)
    results = _both(targets, lambda t: workloads.create_stack(t.client("cloudformation"), template))
    report.pair(f"create {length}-resource DependsOn chain", "s",
                _get(results, "cfnapi", "seconds"), _get(results, "moto", "seconds"), False)
    _reached_row(targets, report, results)
    _cpu_row(report, results)


def _reached_row(targets, report, results):
    """When each stack reached CREATE_COMPLETE by its own event's timestamp (no polling interval)."""
    reached = {t.name: results.get(t.name) and {"s": workloads.reached_seconds(t.client("cloudformation"),
                                                                                results[t.name])}
               for t in targets}
    report.pair("  reached CREATE_COMPLETE (the stack's event timestamp)", "s",
                _get(reached, "cfnapi", "s"), _get(reached, "moto", "s"), False)


def run_events(targets, report, stacks, size):
    if not stacks:
        template = workloads.independent_template("AWS::CloudFormation::WaitConditionHandle", size)
        stacks = {t.name: workloads.create_stack(t.client("cloudformation"), template)["stack"] for t in targets}
    results = _both(targets, lambda t: workloads.describe_all_events(t.client("cloudformation"), stacks[t.name]))
    report.pair("DescribeStackEvents, all pages", "s",
                _get(results, "cfnapi", "seconds"), _get(results, "moto", "seconds"), False)
    _cpu_row(report, results)
    report.row("  events / pages", *(f"{r['events']} / {r['pages']}" if r else "n/a"
                                    for r in (results.get("cfnapi"), results.get("moto"))))


def run_ingest(targets, report, calls, threads):
    results = _both(targets, lambda t: workloads.ingest(t.client("cloudwatch"), calls, threads=threads))
    report.pair(f"PutMetricData 20 metrics x 50 values, {calls} calls, {threads} client(s)", "points/s",
                _get(results, "cfnapi", "points_per_second"), _get(results, "moto", "points_per_second"), True)
    _cpu_row(report, results)


def run_query(targets, report, stages):
    datasets = {t.name: workloads.WeekOfData(t.client("cloudwatch")) for t in targets}
    repeats = 50
    for total in stages:
        _both(targets, lambda t: datasets[t.name].grow_to(total))
        # StartTime a week before now (to the minute), and the same week trimmed to whole hours.
        for on_the_hour, label in ((False, "start to the minute"), (True, "start on the hour")):
            results = _both(targets, lambda t: datasets[t.name].query_latency(repeats, on_the_hour))
            report.pair(f"GetMetricStatistics week @ {total:,} stored, {label}, median", "ms",
                        _get(results, "cfnapi", "median_ms"), _get(results, "moto", "median_ms"), False)
            report.pair("  p90", "ms", _get(results, "cfnapi", "p90_ms"), _get(results, "moto", "p90_ms"), False)
            cpu = {name: r and r.get("server_cpu") and r["server_cpu"] / repeats * 1000
                   for name, r in results.items()}
            report.pair("  server CPU per query", "ms", cpu.get("cfnapi"), cpu.get("moto"), False)


def _inprocess(what: str, count: int) -> dict:
    output = subprocess.run([sys.executable, "-m", "benchmarks.inprocess", what, "--count", str(count)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_alarms(report, count):
    result = _inprocess("alarms", count)
    report.row(f"evaluate {count:,} alarms, all transition (in-process)", f"{result['seconds']:.3f} s", "no alarms")
    report.row(f"evaluate {count:,} alarms, next minute, none transition", f"{result['steady_seconds']:.3f} s")


def run_statements(report, resources):
    result = _inprocess("statements", resources)
    report.row(f"DB statements per resource ({resources} WaitConditionHandles)",
               f"{result['engine_per_resource']:.1f}", "no database", "")
    report.row("  engine / API statements in total", f"{result['engine_statements']} / {result['api_statements']}")
    report.row("  engine commits in total", str(result["engine_commits"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: stacks 10,100; store to 100k; 1,000 alarms")
    parser.add_argument("--sizes", help="stack sizes (default 10,100,500)")
    parser.add_argument("--types", default="AWS::CloudFormation::WaitConditionHandle,AWS::SSM::Parameter",
                        help=f"resource types for the stack sizes ({', '.join(workloads.RESOURCE_TYPES)})")
    parser.add_argument("--ingest-calls", type=int, default=200)
    parser.add_argument("--ingest-threads", type=int, default=1)
    parser.add_argument("--stages", help="stored points for the week query (default 10000,100000,1000000)")
    parser.add_argument("--alarms", type=int)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    unknown = only - set(ALL)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    sizes = [int(s) for s in (args.sizes or ("10,100" if args.quick else "10,100,500")).split(",")]
    stages = [int(s) for s in (args.stages or ("10000,100000" if args.quick else "10000,100000,1000000")).split(",")]
    alarms = args.alarms or (1000 if args.quick else 10000)

    import boto3
    import moto

    print(f"python {platform.python_version()}, boto3 {boto3.__version__}, moto {moto.__version__}, "
          f"{os.cpu_count()} cores, {platform.machine()}", flush=True)
    print(f"  {'':<62} {'cfnapi':>14} {'moto':>14} {'advantage':>10}")
    report = Report()
    targets = []
    try:
        if only & {"stacks", "chain", "events", "ingest", "query", "rss"}:
            targets = [start_cfnapi(), start_moto()]
        # First requests load modules (moto imports a service on first use); timed apart.
        first = _both(targets, lambda t: workloads.warm_up(t.client("cloudformation"), t.client("cloudwatch")))
        report.pair("first CreateStack after start (1 resource, untimed elsewhere)", "s",
                    _get(first, "cfnapi", "seconds"), _get(first, "moto", "seconds"), False)
        stacks = {}
        if "stacks" in only:
            stacks = run_stacks(targets, report, sizes, args.types.split(","))
        if "chain" in only:
            run_chain(targets, report, 100)
        if "events" in only:
            run_events(targets, report, stacks, max(sizes))
        if "ingest" in only:
            run_ingest(targets, report, args.ingest_calls, args.ingest_threads)
        if "query" in only:
            run_query(targets, report, stages)
        if targets and "rss" in only:
            by_name = {t.name: t.peak_rss_mb() for t in targets}
            report.pair("server peak RSS (VmHWM) over the run", "MB", by_name.get("cfnapi"), by_name.get("moto"),
                        False)
    finally:
        for target in targets:
            target.stop()
    if "alarms" in only:
        run_alarms(report, alarms)
    if "statements" in only:
        run_statements(report, max(sizes))


if __name__ == "__main__":
    main()
