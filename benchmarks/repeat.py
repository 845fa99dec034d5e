"""The same create, many times against one server each: median and fastest wall time
and server CPU, for cfnapi and (with ``--moto``) moto in the same minutes.

"Reached" is the time from sending CreateStack to the stack's own CREATE_COMPLETE event
timestamp (``workloads.reached_seconds``): the servers' creation without the client's
polling interval. A single create's figure moves with the machine's load; the median of many is what
the before/after figures in docs/benchmarks.md ("The perf2 branch") are. The first
create after the warm-up is reported apart (it may pay one-off costs).

    PYTHONPATH=. .venv/bin/python -m benchmarks.repeat --count 15 --moto
    PYTHONPATH=. .venv/bin/python -m benchmarks.repeat --count 9 --chain
"""

from __future__ import annotations

import argparse
import os
import statistics

from benchmarks import workloads
from benchmarks.targets import start_cfnapi, start_moto


def measure(target, template: dict, count: int) -> dict:
    cfn = target.client("cloudformation")
    workloads.warm_up(cfn, target.client("cloudwatch"))
    before = target.cpu_seconds()
    first = workloads.create_stack(cfn, template)["seconds"]
    first_cpu = target.cpu_seconds() - before
    walls, cpus, reached = [], [], []
    for _ in range(count):
        before = target.cpu_seconds()
        created = workloads.create_stack(cfn, template)
        cpus.append(target.cpu_seconds() - before)
        walls.append(created["seconds"])
        reached.append(workloads.reached_seconds(cfn, created))
    return {"first": first, "first_cpu": first_cpu, "median": statistics.median(walls), "fastest": min(walls),
            "reached": statistics.median(reached), "cpu": statistics.median(cpus), "rss": target.peak_rss_mb()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=15, help="creates measured after the first (default 15)")
    parser.add_argument("--size", type=int, default=500, help="independent WaitConditionHandles (default 500)")
    parser.add_argument("--chain", action="store_true", help="a 100-handle DependsOn chain instead")
    parser.add_argument("--moto", action="store_true", help="moto's server too, after cfnapi")
    args = parser.parse_args(argv)
    if args.chain:
        label, template = "100-handle chain", workloads.chain_template(100)
    else:
        label = f"{args.size} x WaitConditionHandle"
        template = workloads.independent_template("AWS::CloudFormation::WaitConditionHandle", args.size)
    for start in [start_cfnapi] + ([start_moto] if args.moto else []):
        target = start()
        try:
            r = measure(target, template, args.count)
        finally:
            target.stop()
        print(f"{target.name:6} {label}: wall median {r['median']:.3f} s (fastest {r['fastest']:.3f} s), "
              f"reached CREATE_COMPLETE median {r['reached']:.3f} s, "
              f"server CPU median {r['cpu']:.2f} s; first {r['first']:.3f} s / {r['first_cpu']:.2f} s CPU; "
              f"peak RSS {r['rss']:.0f} MB; load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
