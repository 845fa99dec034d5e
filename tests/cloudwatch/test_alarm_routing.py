"""The AlarmName dimension (cfn-push-stats --watch) routes a sample to the alarm it names."""

from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.cloudwatch.evaluator import AlarmEvaluator
from cfnapi.handlers.base import RequestContext
from cfnapi.handlers.cloudwatch import CloudWatchHandlers

CTX = RequestContext("111111111111", "AKIA", "us-east-1", "req")
OTHER = RequestContext("222222222222", "AKIB", "us-east-1", "req")
T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
AGENT_DIMENSIONS = [{"Name": "InstanceId", "Value": "i-1"}, {"Name": "metering.groupname", "Value": "g"}]


class Clock:
    now = T0

    def __call__(self):
        return self.now


class Recorder:
    def __init__(self):
        self.transitions = []

    def dispatch(self, transition):
        self.transitions.append(transition)


@pytest.fixture
def setup(db):
    clock = Clock()
    cw = CloudWatchHandlers(db, dispatcher=Recorder(), clock=clock)
    return cw, AlarmEvaluator(db, clock, Recorder()), clock


def call(cw, operation, params, ctx=CTX):
    return cw.handler_for(operation)(ctx, params)


def push(cw, value, alarm_name=None, metric="CPUUtilization", ctx=CTX, dimensions=AGENT_DIMENSIONS):
    """What cfn-push-stats sends: instance id and tags as dimensions, plus AlarmName with --watch."""
    dims = list(dimensions) + ([{"Name": "AlarmName", "Value": alarm_name}] if alarm_name else [])
    call(cw, "PutMetricData", {"Namespace": "system/linux", "MetricData": [
        {"MetricName": metric, "Value": value, "Unit": "Percent", "Timestamp": T0 + timedelta(seconds=5),
         "Dimensions": dims}]}, ctx)


def put_alarm(cw, name="HighCPU", dimensions=(), metric="CPUUtilization", ctx=CTX, period=60):
    call(cw, "PutMetricAlarm", {
        "AlarmName": name, "Namespace": "system/linux", "MetricName": metric, "Statistic": "Average",
        "Dimensions": list(dimensions), "Period": period, "EvaluationPeriods": 1, "Threshold": 50.0,
        "ComparisonOperator": "GreaterThanThreshold"}, ctx)


def alarm_metric_samples(cw, dimensions=(), metric="CPUUtilization", ctx=CTX) -> float:
    result = call(cw, "GetMetricStatistics", {
        "Namespace": "system/linux", "MetricName": metric, "Dimensions": list(dimensions),
        "StartTime": T0, "EndTime": T0 + timedelta(minutes=1), "Period": 60, "Statistics": ["SampleCount"]}, ctx)
    return sum(point["SampleCount"] for point in result["Datapoints"])


def state(cw, name="HighCPU", ctx=CTX):
    return call(cw, "DescribeAlarms", {"AlarmNames": [name]}, ctx)["MetricAlarms"][0]["StateValue"]


def test_sample_naming_an_alarm_without_that_dimension_drives_it(setup):
    cw, evaluator, clock = setup
    group = [{"Name": "AutoScalingGroupName", "Value": "web"}]
    put_alarm(cw, "HighCPU", dimensions=group)
    push(cw, 95.0, alarm_name="HighCPU")
    # Stored as sent (AWS semantics for its own dimension set) and under the alarm's metric.
    assert alarm_metric_samples(cw, AGENT_DIMENSIONS + [{"Name": "AlarmName", "Value": "HighCPU"}]) == 1
    assert alarm_metric_samples(cw, group) == 1
    clock.now = T0 + timedelta(seconds=61)
    evaluator.evaluate_all()
    assert state(cw) == "ALARM"


def test_alarm_with_no_dimensions_sees_routed_samples_only(setup):
    cw, evaluator, clock = setup
    put_alarm(cw, "HighCPU")
    push(cw, 95.0)  # no --watch: on AWS this metric is not the alarm's (other dimensions)
    clock.now = T0 + timedelta(seconds=61)
    evaluator.evaluate_all()
    assert state(cw) == "INSUFFICIENT_DATA"
    push(cw, 10.0, alarm_name="HighCPU")
    evaluator.evaluate_all(T0 + timedelta(seconds=125))
    assert alarm_metric_samples(cw) == 1
    assert state(cw) == "OK"


def test_no_copy_for_unknown_alarm_other_metric_or_other_account(setup):
    cw, _, _ = setup
    put_alarm(cw, "HighCPU")
    put_alarm(cw, "MemoryAlarm", metric="MemoryUtilization")
    put_alarm(cw, "Theirs", ctx=OTHER)
    push(cw, 95.0, alarm_name="NoSuchAlarm")
    push(cw, 95.0, alarm_name="MemoryAlarm")  # CPU sample naming a memory alarm: not the alarm's metric
    push(cw, 95.0, alarm_name="Theirs")  # another account's alarm of that name
    assert alarm_metric_samples(cw) == 0
    assert alarm_metric_samples(cw, metric="MemoryUtilization") == 0
    assert alarm_metric_samples(cw, ctx=OTHER) == 0
    names = {m["MetricName"] for m in call(cw, "ListMetrics", {"Namespace": "system/linux"})["Metrics"]}
    assert names == {"CPUUtilization"}


def test_alarm_on_the_exact_dimensions_counts_each_sample_once(setup):
    cw, _, _ = setup
    exact = AGENT_DIMENSIONS + [{"Name": "AlarmName", "Value": "HighCPU"}]
    put_alarm(cw, "HighCPU", dimensions=exact)
    push(cw, 95.0, alarm_name="HighCPU")
    assert alarm_metric_samples(cw, exact) == 1


def test_routed_copy_for_a_high_resolution_alarm_is_high_resolution(setup):
    """boto 2 (cfn-push-stats) cannot send StorageResolution; a 10 s alarm named by --watch still sees it."""
    cw, evaluator, clock = setup
    group = [{"Name": "AutoScalingGroupName", "Value": "web"}]
    put_alarm(cw, "Fast", dimensions=group, period=10)
    push(cw, 95.0, alarm_name="Fast")  # standard resolution, at T0+5s
    clock.now = T0 + timedelta(seconds=11)
    evaluator.evaluate_all()
    assert state(cw, "Fast") == "ALARM"
    per_ten_seconds = call(cw, "GetMetricStatistics", {
        "Namespace": "system/linux", "MetricName": "CPUUtilization", "Dimensions": group, "StartTime": T0,
        "EndTime": T0 + timedelta(seconds=20), "Period": 10, "Statistics": ["Maximum"]})["Datapoints"]
    assert [p["Maximum"] for p in per_ten_seconds] == [95.0]
    # The sample as sent stays standard resolution: a 10 s query of its own metric finds nothing.
    sent = AGENT_DIMENSIONS + [{"Name": "AlarmName", "Value": "Fast"}]
    assert call(cw, "GetMetricStatistics", {
        "Namespace": "system/linux", "MetricName": "CPUUtilization", "Dimensions": sent, "StartTime": T0,
        "EndTime": T0 + timedelta(seconds=20), "Period": 10, "Statistics": ["Maximum"]})["Datapoints"] == []
