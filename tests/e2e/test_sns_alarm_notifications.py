"""A stack's SNS topic as an alarm's action, end to end through boto3: a breaching
metric flips the alarm and the topic's http subscriber on loopback gets exactly one
notification, shaped and headed as SNS delivers it; an email subscriber is recorded
and the event says so."""

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server

pytestmark = pytest.mark.e2e

TEMPLATE = """
Parameters:
  Hook: {Type: String}
Resources:
  Alerts: {Type: AWS::SNS::Topic, Properties: {DisplayName: Alerts}}
  HookSubscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Alerts, Protocol: http, Endpoint: !Ref Hook}
  MailSubscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Alerts, Protocol: email, Endpoint: ops@example.com}
  HighLatency:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: App
      MetricName: Latency
      Statistic: Maximum
      Period: 10
      EvaluationPeriods: 1
      Threshold: 100
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Alerts]
Outputs:
  Topic: {Value: !Ref Alerts}
  TopicName: {Value: !GetAtt Alerts.TopicName}
  Alarm: {Value: !Ref HighLatency}
"""


@pytest.fixture
def receiver():
    received: list[tuple[str, dict, bytes]] = []
    arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with arrived:
                received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def wait_for(path: str, timeout: float = 60.0) -> list:
        deadline = time.monotonic() + timeout
        with arrived:
            while not any(p == path for p, _, _ in received):
                assert arrived.wait(max(0.0, deadline - time.monotonic())), f"nothing arrived at {path}"
            return [r for r in received if r[0] == path]

    yield f"http://127.0.0.1:{server.server_address[1]}", received, wait_for
    server.shutdown()


@pytest.fixture(scope="module")
def alarm_server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("cfnapi-sns"), env={"CFNAPI_ALARM_INTERVAL": "1"})
    yield running
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)


def put_latency(cw, value: float) -> None:
    cw.put_metric_data(Namespace="App", MetricData=[{
        "MetricName": "Latency", "Value": value, "StorageResolution": 1,
        "Timestamp": datetime.now(timezone.utc) - timedelta(seconds=10)}])


def test_a_breaching_alarm_notifies_the_topics_http_subscriber_exactly_once(alarm_server, receiver):
    base, received, wait_for = receiver
    cfn = client("cloudformation", alarm_server.endpoint)
    cw = client("cloudwatch", alarm_server.endpoint)
    cfn.create_stack(StackName="alerts", TemplateBody=TEMPLATE,
                     Parameters=[{"ParameterKey": "Hook", "ParameterValue": f"{base}/hook"}])
    cfn.get_waiter("stack_create_complete").wait(StackName="alerts", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    [stack] = cfn.describe_stacks(StackName="alerts")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    topic = outputs["Topic"]
    assert topic == f"arn:aws:sns:us-east-1:{stack['StackId'].split(':')[4]}:{outputs['TopicName']}"
    completes = {e["LogicalResourceId"]: e.get("ResourceStatusReason")
                 for e in cfn.describe_stack_events(StackName="alerts")["StackEvents"]
                 if e["ResourceStatus"] == "CREATE_COMPLETE"}
    assert completes["MailSubscription"] == "Protocol email is recorded, not delivered by cfnapi."
    assert completes["Alerts"] == "Recorded, not enforced by cfnapi: DisplayName."
    assert completes["HookSubscription"] is None
    hook_arn = next(r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName="alerts")["StackResources"]
                    if r["LogicalResourceId"] == "HookSubscription")

    put_latency(cw, 500)
    [(_, headers, body)] = wait_for("/hook")
    notification = json.loads(body)
    message = json.loads(notification["Message"])
    assert notification["Type"] == "Notification" and notification["TopicArn"] == topic
    assert notification["Subject"] == f'ALARM: "{outputs["Alarm"]}" in us-east-1'
    assert message["AlarmName"] == outputs["Alarm"] and message["NewStateValue"] == "ALARM"
    assert message["Trigger"]["MetricName"] == "Latency"
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-topic-arn"] == topic and headers["x-amz-sns-subscription-arn"] == hook_arn
    assert headers["x-amz-sns-message-id"] == notification["MessageId"]

    # A sentinel alarm made only now, breaching on the same data, notifies a second path: once it has
    # arrived, the evaluator has run after the first notification and anything else would be here too.
    put_latency(cw, 500)
    cw.put_metric_alarm(AlarmName="sentinel", Namespace="App", MetricName="Latency", Statistic="Maximum",
                        Period=10, EvaluationPeriods=1, Threshold=100, ComparisonOperator="GreaterThanThreshold",
                        AlarmActions=[f"{base}/sentinel"])
    wait_for("/sentinel")
    assert [path for path, _, _ in received].count("/hook") == 1

    cfn.delete_stack(StackName="alerts")
    cfn.get_waiter("stack_delete_complete").wait(StackName="alerts", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
