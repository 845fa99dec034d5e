"""boto3 against the real server: CloudFormation, and CloudWatch in every protocol."""

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS, client

pytestmark = pytest.mark.e2e

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: a handle and a parameter
Parameters:
  Size:
    Type: Number
    Default: 3
    Description: how many
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  HandleUrl:
    Value: !Ref Handle
"""


def test_validate_template(server):
    cfn = client("cloudformation", server.endpoint)
    result = cfn.validate_template(TemplateBody=TEMPLATE)
    assert result["Description"] == "a handle and a parameter"
    assert result["Parameters"] == [
        {"ParameterKey": "Size", "DefaultValue": "3", "NoEcho": False, "Description": "how many"}
    ]
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert result["ResponseMetadata"]["RequestId"]


def test_validate_template_error_is_aws_shaped(server):
    cfn = client("cloudformation", server.endpoint)
    with pytest.raises(ClientError) as caught:
        cfn.validate_template(TemplateBody="Resources: {X: {Type: AWS::Foo::Bar}}")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "AWS::Foo::Bar" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_put_and_get_statistics(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    assert cw.meta.service_model.resolved_protocol == protocol
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    namespace = f"E2E/{protocol}"
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Load", "Dimensions": [{"Name": "Host", "Value": "a"}],
             "Timestamp": now - timedelta(minutes=1), "Values": [10.0, 20.0, 30.0], "Unit": "Percent"},
        ],
    )
    stats = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Load", Dimensions=[{"Name": "Host", "Value": "a"}],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1), Period=60,
        Statistics=["Average", "Maximum", "SampleCount"],
    )
    [point] = stats["Datapoints"]
    assert point["Average"] == pytest.approx(20.0)
    assert point["Maximum"] == 30.0
    assert point["SampleCount"] == 3.0
    assert point["Unit"] == "Percent"
    metrics = cw.list_metrics(Namespace=namespace)["Metrics"]
    assert metrics == [{"Namespace": namespace, "MetricName": "Load", "Dimensions": [{"Name": "Host", "Value": "a"}]}]


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_errors_in_every_protocol(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    with pytest.raises(ClientError) as caught:
        cw.get_metric_statistics(
            Namespace="E2E", MetricName="Load", StartTime=datetime(2026, 1, 2, tzinfo=timezone.utc),
            EndTime=datetime(2026, 1, 1, tzinfo=timezone.utc), Period=60, Statistics=["Average"],
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_rejects_wrong_secret(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol, secret_key="wrong" * 8)
    with pytest.raises(ClientError) as caught:
        cw.list_metrics()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.fixture
def hook_receiver():
    """An HTTP endpoint on loopback that accepts every POST and counts them."""
    posts = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/alarm", posts
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_action_runs_are_in_the_alarm_history(server, protocol, hook_receiver):
    url, posts = hook_receiver
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    name = f"E2E-actions-{protocol}"
    cw.put_metric_alarm(AlarmName=name, Namespace="E2E/Actions", MetricName="Load", Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                        AlarmActions=[url])
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="testing the action's history")
    deadline = time.monotonic() + 20
    items = []
    while time.monotonic() < deadline and not items:  # the action runs after SetAlarmState returns
        items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]
        time.sleep(0.1)
    assert len(posts) == 1
    [item] = items
    assert item["HistorySummary"] == f"Successfully executed action {url}"
    assert item["HistoryItemType"] == "Action" and item["AlarmName"] == name
    data = json.loads(item["HistoryData"])
    assert data["actionState"] == "Succeeded" and data["notificationResource"] == url
    updates = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    # (the evaluator may already have judged the alarm again: only the SetAlarmState change is certain)
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in [u["HistorySummary"] for u in updates]
