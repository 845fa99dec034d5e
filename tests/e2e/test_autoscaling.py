"""The loop end to end on a running server, driven by boto3 only (PutMetricData
stands in for cfn-push-stats): a metric above the threshold puts the alarm in
ALARM, the alarm's action grows the group; below it the OK action shrinks it;
a member forced into ERROR and a member whose heartbeat stops are replaced;
deleting the stack leaves the sim cloud as it was seeded."""

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server

pytestmark = pytest.mark.e2e

TEMPLATE = """
Resources:
  Agent: {Type: AWS::IAM::User}
  AgentKey: {Type: AWS::IAM::AccessKey, Properties: {UserName: !Ref Agent}}
  Config:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: m1.tiny}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      LaunchConfigurationName: !Ref Config
      MinSize: 1
      MaxSize: 3
      DesiredCapacity: 1
      HealthCheckType: EC2
      HealthCheckGracePeriod: 0
  ScaleOut:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties: {AutoScalingGroupName: !Ref Group, AdjustmentType: ChangeInCapacity, ScalingAdjustment: 1}
  ScaleIn:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties: {AutoScalingGroupName: !Ref Group, AdjustmentType: ChangeInCapacity, ScalingAdjustment: -1,
                 Cooldown: 0}
  CpuAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: App
      MetricName: CPUUtilization
      Dimensions: [{Name: AutoScalingGroupName, Value: !Ref Group}]
      Statistic: Average
      Period: 10
      EvaluationPeriods: 1
      Threshold: 70
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref ScaleOut]
      OKActions: [!Ref ScaleIn]
Outputs:
  KeyId: {Value: !Ref AgentKey}
  Secret: {Value: !GetAtt AgentKey.SecretAccessKey}
  Group: {Value: !Ref Group}
  Alarm: {Value: !Ref CpuAlarm}
"""


@pytest.fixture(scope="module")
def scaling_server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("cfnapi-asg"),
                           env={"CFNAPI_ALARM_INTERVAL": "1", "CFNAPI_SCALING_INTERVAL": "0.5"})
    yield running
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)


def sim(server, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "cfnapi", "sim", *args, "--data-dir", str(server.data_dir),
                           "--log-level", "WARNING"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def servers(server) -> dict[str, str]:
    """id -> status of every server in the sim."""
    return {s["id"]: s.get("status") for s in json.loads(sim(server, "show", "--json")).get("servers", [])}


def wait_for(what, check, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def group_reasons(cfn) -> list[str]:
    events = cfn.describe_stack_events(StackName="scaling")["StackEvents"]
    return [e.get("ResourceStatusReason") or "" for e in reversed(events) if e["LogicalResourceId"] == "Group"]


def members(cfn) -> list[str]:
    """In-service members, from the group's activity events (launched and InService, not terminated)."""
    reasons = group_reasons(cfn)
    live = [r.split()[2] for r in reasons if r.startswith("EC2 instance ") and r.endswith(" is InService.")]
    gone = {r.split()[3].rstrip(".") for r in reasons if r.startswith("Terminating EC2 instance: ")}
    return [i for i in live if i not in gone]


def put_cpu(cw, group: str, value: float, seconds_ago: float = 10) -> None:
    """A high-resolution sample (the alarms use 10 s periods), by default in the last completed period."""
    cw.put_metric_data(Namespace="App", MetricData=[{
        "MetricName": "CPUUtilization", "Value": value, "Unit": "Percent", "StorageResolution": 1,
        "Timestamp": datetime.now(timezone.utc) - timedelta(seconds=seconds_ago),
        "Dimensions": [{"Name": "AutoScalingGroupName", "Value": group}]}])


def test_metrics_alarms_scaling_and_healing_end_to_end(scaling_server):
    server = scaling_server
    seeded = servers(server)
    cfn = client("cloudformation", server.endpoint)
    cfn.create_stack(StackName="scaling", TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="scaling", WaiterConfig={"Delay": 1, "MaxAttempts": 90})
    [stack] = cfn.describe_stacks(StackName="scaling")["Stacks"]
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    group = out["Group"]
    [first] = members(cfn)
    assert first in servers(server)

    # The instance's agent credentials (the stack's AccessKey) push the metric.
    cw = client("cloudwatch", server.endpoint, access_key=out["KeyId"], secret_key=out["Secret"])
    put_cpu(cw, group, 95.0)
    wait_for("the alarm to fire", lambda: cw.describe_alarms(AlarmNames=[out["Alarm"]])["MetricAlarms"][0]
             ["StateValue"] == "ALARM", timeout=30)
    grown = wait_for("the group to grow", lambda: (lambda m: m if len(m) == 2 else None)(members(cfn)))
    reasons = group_reasons(cfn)
    assert any(f"a monitor alarm {out['Alarm']} in state ALARM triggered policy" in r
               and "changing the desired capacity from 1 to 2." in r for r in reasons), reasons
    assert any(r.startswith("Launching a new EC2 instance: ") for r in reasons)
    resource = cfn.describe_stack_resource(StackName="scaling", LogicalResourceId="Group")["StackResourceDetail"]
    assert resource["PhysicalResourceId"] == group and resource["ResourceStatus"] == "CREATE_COMPLETE"
    assert resource["ResourceStatusReason"] in group_reasons(cfn)  # the newest activity

    put_cpu(cw, group, 10.0, seconds_ago=0)
    put_cpu(cw, group, 10.0, seconds_ago=10)
    wait_for("the group to shrink back", lambda: len(members(cfn)) == 1)
    assert any("a monitor alarm" in r and "in state OK triggered policy" in r
               and "from 2 to 1." in r for r in group_reasons(cfn))
    [survivor] = members(cfn)
    assert survivor in grown

    # A member the cloud reports in ERROR is replaced; the old one goes once the new one is in service.
    sim(server, "set-server-status", survivor, "ERROR")
    replacement = wait_for("the ERROR member's replacement",
                           lambda: (lambda m: m[0] if m and m[0] != survivor else None)(members(cfn)))
    wait_for("the ERROR member to be deleted", lambda: survivor not in servers(server))
    assert f"EC2 instance {survivor} failed the EC2 health check (impaired)." in group_reasons(cfn)

    # A heartbeat that stops: the instance's own alarm marks it Unhealthy (setInstanceHealth action).
    region_account = stack["StackId"].split(":")[3:5]
    health_arn = (f"arn:aws:autoscaling:{region_account[0]}:{region_account[1]}:setInstanceHealth:"
                  f"autoScalingGroupName/{group}")
    cw.put_metric_data(Namespace="system/linux", MetricData=[{
        "MetricName": "Heartbeat", "Value": 1, "Unit": "Count", "StorageResolution": 1,
        "Timestamp": datetime.now(timezone.utc) - timedelta(seconds=10),
        "Dimensions": [{"Name": "InstanceId", "Value": replacement}]}])
    cw.put_metric_alarm(AlarmName=f"heartbeat-{replacement}", Namespace="system/linux", MetricName="Heartbeat",
                        Dimensions=[{"Name": "InstanceId", "Value": replacement}], Statistic="SampleCount",
                        Period=10, EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold",
                        TreatMissingData="breaching", AlarmActions=[health_arn])
    healed = wait_for("the silent member's replacement",
                      lambda: (lambda m: m[0] if m and m[0] != replacement else None)(members(cfn)), timeout=120)
    history = cw.describe_alarm_history(AlarmName=f"heartbeat-{replacement}", HistoryItemType="StateUpdate")
    assert any("to ALARM" in h["HistorySummary"] for h in history["AlarmHistoryItems"])
    reasons = group_reasons(cfn)
    assert f"EC2 instance {replacement} marked Unhealthy by alarm heartbeat-{replacement}." in reasons
    wait_for("the silent member to be deleted", lambda: replacement not in servers(server))
    # the member's own alarm went with it
    assert cw.describe_alarms(AlarmNamePrefix="heartbeat-")["MetricAlarms"] == []
    assert healed in servers(server)

    cfn.delete_stack(StackName="scaling")
    cfn.get_waiter("stack_delete_complete").wait(StackName="scaling", WaiterConfig={"Delay": 1, "MaxAttempts": 90})
    assert servers(server) == seeded
