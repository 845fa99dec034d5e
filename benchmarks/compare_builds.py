"""Two cfnapi source trees served side by side, the same workload on each in
alternating rounds: server CPU per request (from /proc) and the wall figure per round.
Alternating in the same minutes is what makes a before/after readable on a shared machine.

    git archive <old commit> | tar -x -C /tmp/cfnapi-old
    PYTHONPATH=. .venv/bin/python -m benchmarks.compare_builds /tmp/cfnapi-old . query --rounds 4
    PYTHONPATH=. .venv/bin/python -m benchmarks.compare_builds /tmp/cfnapi-old . ingest --rounds 5

``query``: the week query (``workloads.WeekOfData``, 100,000 points stored), 100 calls a
round, wall = median ms. ``ingest``: ``workloads.ingest``, 100 calls a round, wall = points/s.
``create``: one create of 500 WaitConditionHandles a round (``workloads.create_stack``, 20 ms
polling), wall = seconds; with ``--moto`` moto's server takes its turn in each round too.
``events``: DescribeStackEvents over every page of one 500-handle stack, wall = seconds.
Each server runs with its tree as working directory and first on PYTHONPATH (``python -m``
puts the working directory first on sys.path, ahead of an editable install).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from benchmarks import workloads  # noqa: E402
from benchmarks.targets import Target, start_moto  # noqa: E402
from cfnapi.testing.server import start_server  # noqa: E402


def start(tree: Path) -> Target:
    here = os.getcwd()
    os.chdir(tree)
    try:
        server = start_server(Path(tempfile.mkdtemp(prefix="cfnapi-compare-")),
                              env={"CFNAPI_ALARM_INTERVAL": "3600", "PYTHONPATH": str(tree)})
    finally:
        os.chdir(here)
    return Target(str(tree), server.endpoint, server.process.pid, server.stop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("what", choices=["query", "ingest", "create", "events"])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--moto", action="store_true", help="create: moto's server in each round too")
    args = parser.parse_args(argv)
    targets = [start(args.old.resolve()), start(args.new.resolve())]
    if args.moto and args.what == "create":
        targets.append(start_moto())
    per_round = args.calls if args.what in ("query", "ingest") else 1
    try:
        data = {}
        handles = workloads.independent_template("AWS::CloudFormation::WaitConditionHandle", 500)
        for target in targets:
            if args.what == "query":
                data[target.name] = workloads.WeekOfData(target.client("cloudwatch"))
                data[target.name].grow_to(100_000)
            elif args.what in ("create", "events"):
                cfn = target.client("cloudformation")
                workloads.warm_up(cfn, target.client("cloudwatch"))
                data[target.name] = workloads.create_stack(cfn, handles)["stack"]  # untimed
        cpu = {t.name: [] for t in targets}
        wall = {t.name: [] for t in targets}
        for _ in range(args.rounds):
            for target in targets:
                before = target.cpu_seconds()
                if args.what == "query":
                    wall[target.name].append(data[target.name].query_latency(args.calls)["median_ms"])
                elif args.what == "create":
                    wall[target.name].append(workloads.create_stack(target.client("cloudformation"), handles)["seconds"])
                elif args.what == "events":
                    cfn = target.client("cloudformation")
                    wall[target.name].append(workloads.describe_all_events(cfn, data[target.name])["seconds"])
                else:
                    result = workloads.ingest(target.client("cloudwatch"), args.calls)
                    wall[target.name].append(result["points_per_second"])
                cpu[target.name].append((target.cpu_seconds() - before) / per_round * 1000)
        unit = {"query": "median ms", "ingest": "points/s"}.get(args.what, "seconds")
        for target in targets:
            walls = wall[target.name]
            print(f"{target.name}\n  server CPU ms per {'request' if per_round > 1 else 'round'}, by round: "
                  f"{[round(x, 2) for x in cpu[target.name]]}"
                  f"\n  {unit}, by round: {[round(x, 3 if per_round == 1 else 1) for x in walls]}"
                  f"\n  median {statistics.median(walls):.4g}, best {(max if unit == 'points/s' else min)(walls):.4g}")
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        for target in targets:
            target.stop()


if __name__ == "__main__":
    main()
