"""The boto3 workloads, identical for every target. Each returns plain numbers."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

# Resource types both cfnapi and moto create from a template, with the properties
# each needs and the capabilities CreateStack must be given for it.
RESOURCE_TYPES = {
    "AWS::CloudFormation::WaitConditionHandle": ({}, []),
    # moto requires a Name; made unique per stack and resource by ``independent_template``.
    "AWS::SSM::Parameter": ({"Type": "String", "Value": "benchmark"}, []),
    "AWS::IAM::Role": ({"AssumeRolePolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]}}, ["CAPABILITY_IAM"]),
    # Generated names on both (cfnapi: a topic in its store, a Swift container on the sim).
    "AWS::SNS::Topic": ({}, []),
    "AWS::S3::Bucket": ({}, []),
}
TERMINAL_SUFFIXES = ("_COMPLETE", "_FAILED")
MAX_TEMPLATE_BODY = 51_200  # AWS's TemplateBody limit: cfnapi enforces it, moto does not
POLL_SECONDS = 0.02


def independent_template(resource_type: str, count: int) -> dict:
    properties, _ = RESOURCE_TYPES[resource_type]

    def resource(i: int) -> dict:
        props = dict(properties)
        if resource_type == "AWS::SSM::Parameter":
            props["Name"] = {"Fn::Sub": f"/${{AWS::StackName}}/R{i}"}
        return {"Type": resource_type, **({"Properties": props} if props else {})}

    return {"Resources": {f"R{i}": resource(i) for i in range(count)}}


def template_bytes(template: dict) -> int:
    return len(json.dumps(template, separators=(",", ":")).encode())


def chain_template(count: int) -> dict:
    """R1 DependsOn R0, R2 DependsOn R1, … — nothing can run in parallel."""
    resources = {"R0": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
    for i in range(1, count):
        resources[f"R{i}"] = {"Type": "AWS::CloudFormation::WaitConditionHandle", "DependsOn": f"R{i - 1}"}
    return {"Resources": resources}


def create_stack(cfn, template: dict, capabilities: list[str] = ()) -> dict:
    """Two figures for one create, both from the moment CreateStack is sent.

    ``seconds``: until the client sees the terminal status (DescribeStacks polled every
    20 ms, so the figure includes the wait for the next poll). ``reached_seconds``: until
    the stack reached it, read from the timestamp of the stack's own terminal event (the
    server's clock; client and servers share this machine's). Moto creates inside CreateStack
    and stamps its CREATE_COMPLETE event before answering; cfnapi creates asynchronously and
    stamps it when the engine commits the status, so this second figure compares the servers'
    creation without the client's polling interval. ``reached_seconds`` reads it.
    """
    name = f"bench-{uuid.uuid4().hex[:10]}"
    sent_at = time.time()
    started = time.perf_counter()
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template, separators=(",", ":")), Capabilities=list(capabilities))
    while True:
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if status.endswith(TERMINAL_SUFFIXES):
            break
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    if status != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name} ended {status}")
    return {"stack": name, "seconds": seconds, "sent_at": sent_at}


def reached_seconds(cfn, created: dict) -> float:
    """``create_stack``'s second figure, read after it (so its server CPU is not counted):
    seconds from sending CreateStack to the timestamp of the stack's own CREATE_COMPLETE
    event (events come newest first)."""
    for event in cfn.describe_stack_events(StackName=created["stack"])["StackEvents"]:
        if event["LogicalResourceId"] == created["stack"] and event["ResourceStatus"] == "CREATE_COMPLETE":
            return event["Timestamp"].timestamp() - created["sent_at"]
    raise RuntimeError(f"stack {created['stack']} has no CREATE_COMPLETE event of its own")


def describe_all_events(cfn, stack_name: str) -> dict:
    started = time.perf_counter()
    events = pages = 0
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack_name):
        pages += 1
        events += len(page["StackEvents"])
    return {"seconds": time.perf_counter() - started, "events": events, "pages": pages}


def ingest(cw, calls: int, metrics_per_call: int = 20, values_per_metric: int = 50, threads: int = 1) -> dict:
    """PutMetricData throughput: ``calls`` requests of metrics x values each, from ``threads`` clients."""
    def metric_data(call: int) -> list[dict]:
        return [{"MetricName": f"Ingest{m}", "Dimensions": [{"Name": "Shard", "Value": str(call % 8)}],
                 "Values": [float((call + m + v) % 97) for v in range(values_per_metric)], "Unit": "Count"}
                for m in range(metrics_per_call)]

    bodies = [metric_data(call) for call in range(calls)]  # built before the clock starts
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda data: cw.put_metric_data(Namespace="Bench/Ingest", MetricData=data), bodies))
    seconds = time.perf_counter() - started
    points = calls * metrics_per_call * values_per_metric
    return {"points": points, "seconds": seconds, "points_per_second": points / seconds}


class WeekOfData:
    """One metric with a week of 1-minute data (the one queried), plus filler metrics
    over the same week that grow the store to the stage's total number of points."""

    NAMESPACE = "Bench/Week"
    MINUTES = 7 * 24 * 60  # 10,080

    def __init__(self, cw):
        self.cw = cw
        self.end = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
        self.start = self.end - dt.timedelta(minutes=self.MINUTES)
        self.stored = 0
        self.fillers = 0

    def _minutes(self):
        return (self.start + dt.timedelta(minutes=i) for i in range(self.MINUTES))  # [start, end)

    def _put_week(self, metric: str, values_per_minute: int) -> None:
        datums = [{"MetricName": metric, "Timestamp": t, "Unit": "Count",
                   **({"Value": float(i % 60)} if values_per_minute == 1 else
                      {"Values": [float((i + v) % 60) for v in range(values_per_minute)]})}
                  for i, t in enumerate(self._minutes())]
        for first in range(0, len(datums), 1000):
            self.cw.put_metric_data(Namespace=self.NAMESPACE, MetricData=datums[first:first + 1000])
        self.stored += self.MINUTES * values_per_minute

    def grow_to(self, total_points: int) -> None:
        if self.stored == 0:
            self._put_week("Queried", 1)
        while self.stored < total_points:
            remaining = total_points - self.stored
            per_minute = 10 if remaining >= 10 * self.MINUTES else 1
            self.fillers += 1
            self._put_week(f"Filler{self.fillers}", per_minute)

    def query_latency(self, repeats: int = 50, on_the_hour: bool = False) -> dict:
        """The week at a one-hour period. AWS counts periods from StartTime: from a start on the
        hour they coincide with stored hour rows; from any other minute, minute rows answer."""
        start, end = self.start, self.end
        if on_the_hour:
            start, end = start.replace(minute=0) + dt.timedelta(hours=1), end.replace(minute=0)
        expected = sum(1 for t in self._minutes() if start <= t < end)
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            result = self.cw.get_metric_statistics(
                Namespace=self.NAMESPACE, MetricName="Queried", StartTime=start, EndTime=end,
                Period=3600, Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
            samples.append(time.perf_counter() - started)
        count = sum(point["SampleCount"] for point in result["Datapoints"])
        if count != expected:
            raise RuntimeError(f"week query saw {count} samples, expected {expected}")
        samples.sort()
        return {"median_ms": statistics.median(samples) * 1000, "p90_ms": samples[int(len(samples) * 0.9)] * 1000,
                "stored": self.stored}


def warm_up(cfn, cw) -> None:
    """One small request of each kind, so no other figure includes a server's first-use
    imports; returns the first stack's creation time."""
    first = create_stack(cfn, independent_template("AWS::CloudFormation::WaitConditionHandle", 1))
    cw.put_metric_data(Namespace="Bench/WarmUp", MetricData=[{"MetricName": "W", "Value": 1.0}])
    cw.get_metric_statistics(Namespace="Bench/WarmUp", MetricName="W", Period=60, Statistics=["Sum"],
                             StartTime=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1),
                             EndTime=dt.datetime.now(dt.timezone.utc))
    return first
