"""Scenarios driven by each real client: boto3, the AWS CLI, boto 2, curl."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS, client
from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY, RunningServer, client_environment
from conformance.report import Report

HANDLE_TEMPLATE = json.dumps({
    "Description": "conformance handle",
    "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
})


def run_all(report: Report, server: RunningServer) -> None:
    boto3_cloudformation(report, server)
    for protocol in CLOUDWATCH_PROTOCOLS:
        boto3_cloudwatch(report, server, protocol)
    aws_cli(report, server)
    boto2(report, server)


def boto3_cloudformation(report: Report, server: RunningServer) -> None:
    cfn = client("cloudformation", server.endpoint)

    def validate():
        result = cfn.validate_template(TemplateBody=HANDLE_TEMPLATE)
        assert result["Description"] == "conformance handle", result

    report.run("boto3 cloudformation", "validate-template", validate)


def boto3_cloudwatch(report: Report, server: RunningServer, protocol: str) -> None:
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    subject = f"boto3 cloudwatch {protocol}"
    namespace = f"Conformance/{protocol}"
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)

    def put():
        cw.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": "Latency", "Timestamp": now - timedelta(minutes=2), "Values": [1.0, 2.0, 3.0, 4.0], "Unit": "Milliseconds"},
        ])

    def statistics():
        result = cw.get_metric_statistics(
            Namespace=namespace, MetricName="Latency", StartTime=now - timedelta(minutes=10), EndTime=now,
            Period=60, Statistics=["Sum", "Average"], ExtendedStatistics=["p50"])
        [point] = result["Datapoints"]
        assert point["Sum"] == 10.0 and point["Average"] == 2.5, point
        assert 1.9 <= point["ExtendedStatistics"]["p50"] <= 3.1, point

    def alarms():
        name = f"conformance-{protocol}"
        cw.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName="Latency", Statistic="Average",
                            Period=60, EvaluationPeriods=1, Threshold=100.0, ComparisonOperator="GreaterThanThreshold")
        [alarm] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        assert alarm["StateValue"] == "INSUFFICIENT_DATA", alarm
        cw.delete_alarms(AlarmNames=[name])
        assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []

    report.run(subject, "put-metric-data", put)
    report.run(subject, "get-metric-statistics", statistics)
    report.run(subject, "alarm lifecycle", alarms)


def aws_cli(report: Report, server: RunningServer) -> None:
    aws = str(Path(sys.executable).with_name("aws"))

    def run(*args: str) -> dict:
        result = subprocess.run([aws, "--endpoint-url", server.endpoint, "--output", "json", *args],
                                capture_output=True, text=True, env=client_environment(), timeout=120)
        assert result.returncode == 0, result.stderr.strip()
        return json.loads(result.stdout) if result.stdout.strip() else {}

    def validate():
        assert run("cloudformation", "validate-template", "--template-body", HANDLE_TEMPLATE)["Description"] == "conformance handle"

    def metrics():
        run("cloudwatch", "put-metric-data", "--namespace", "Conformance/CLI", "--metric-name", "Hits", "--value", "3")
        end = datetime.now(timezone.utc) + timedelta(minutes=1)
        stats = run("cloudwatch", "get-metric-statistics", "--namespace", "Conformance/CLI", "--metric-name", "Hits",
                    "--start-time", (end - timedelta(minutes=10)).isoformat(), "--end-time", end.isoformat(),
                    "--period", "600", "--statistics", "Sum")
        assert [p["Sum"] for p in stats["Datapoints"]] == [3.0], stats

    def describe_alarms():
        assert "MetricAlarms" in run("cloudwatch", "describe-alarms")

    report.run("aws cli", "cloudformation validate-template", validate)
    report.run("aws cli", "cloudwatch put/get-metric-statistics", metrics)
    report.run("aws cli", "cloudwatch describe-alarms", describe_alarms)


BOTO2_SCRIPT = r"""
import json, sys
from boto.cloudformation.connection import CloudFormationConnection
from boto.ec2.cloudwatch import CloudWatchConnection
from boto.regioninfo import RegionInfo
port, key, secret, template = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
common = dict(aws_access_key_id=key, aws_secret_access_key=secret, is_secure=False, port=port)
cfn = CloudFormationConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1/", **common)
cw = CloudWatchConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1", **common)
cw.put_metric_data("Conformance/boto2", "CPUUtilization", value=12.5, unit="Percent", dimensions={"AlarmName": "a"})
print(json.dumps({"description": cfn.validate_template(template_body=template).description,
                  "metrics": [m.name for m in cw.list_metrics(namespace="Conformance/boto2")]}))
"""


def boto2(report: Report, server: RunningServer) -> None:
    def query_protocol():
        result = subprocess.run(
            [sys.executable, "-c", BOTO2_SCRIPT, str(server.port), TEST_ACCESS_KEY, TEST_SECRET_KEY, HANDLE_TEMPLATE],
            capture_output=True, text=True, env=client_environment(), timeout=120)
        assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]
        output = json.loads(result.stdout.strip().splitlines()[-1])
        assert output == {"description": "conformance handle", "metrics": ["CPUUtilization"]}, output

    report.run("boto 2.49", "validate-template + put-metric-data (host-derived SigV4 scope)", query_protocol)
