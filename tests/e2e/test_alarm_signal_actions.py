"""Stack signal actions end to end through boto3: an alarm whose action is a wait condition
handle's URL completes the wait condition when the alarm goes to ALARM, and its "Action"
history item says the action was executed."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS, client
from cfnapi.testing.server import start_server

pytestmark = pytest.mark.e2e

TEMPLATE = """
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Breached:
    Type: AWS::CloudFormation::WaitCondition
    Properties: {Handle: !Ref Handle, Timeout: 300}
  HighLatency:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${AWS::StackName}-latency"
      Namespace: !Sub "App/${AWS::StackName}"
      MetricName: Latency
      Statistic: Maximum
      Period: 10
      EvaluationPeriods: 1
      Threshold: 100
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Handle]
Outputs:
  Signal: {Value: !GetAtt Breached.Data}
"""


@pytest.fixture(scope="module")
def alarm_server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("cfnapi-signal-actions"), env={"CFNAPI_ALARM_INTERVAL": "1"})
    yield running
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)


def wait_for_alarm_actions(cw, alarm: str, timeout: float = 60.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = cw.describe_alarm_history(AlarmName=alarm, HistoryItemType="Action")["AlarmHistoryItems"]
        if items:
            return items
        time.sleep(0.5)
    raise AssertionError(f"no Action history item for {alarm}")


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_an_alarm_completes_the_wait_condition_its_action_names(alarm_server, protocol):
    stack = f"signalled-{protocol.split('-')[0]}"
    cfn = client("cloudformation", alarm_server.endpoint)
    cw = client("cloudwatch", alarm_server.endpoint, protocol=protocol)
    cfn.create_stack(StackName=stack, TemplateBody=TEMPLATE)
    alarm = f"{stack}-latency"
    deadline = time.monotonic() + 60
    while not cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]:
        assert time.monotonic() < deadline, "the alarm was never created"
        time.sleep(0.5)
    handle_url = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmActions"][0]
    assert "/waitcondition/" in handle_url
    # Nothing breached yet: the wait condition is still waiting.
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"

    cw.put_metric_data(Namespace=f"App/{stack}", MetricData=[{
        "MetricName": "Latency", "Value": 500, "StorageResolution": 1,
        "Timestamp": datetime.now(timezone.utc) - timedelta(seconds=10)}])
    cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 90})

    [described] = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert described["StateValue"] == "ALARM"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    [(unique_id, data)] = json.loads(outputs["Signal"]).items()
    assert unique_id.startswith(f"{alarm} ")
    message = json.loads(json.loads(data)["Message"])
    assert (message["AlarmName"], message["NewStateValue"]) == (alarm, "ALARM")
    breached = [e for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
                if e["LogicalResourceId"] == "Breached" and e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert breached

    [item] = wait_for_alarm_actions(cw, alarm)
    assert item["HistorySummary"] == f"Successfully executed action {handle_url}"
    assert json.loads(item["HistoryData"])["actionState"] == "Succeeded"
