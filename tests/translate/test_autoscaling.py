"""Auto Scaling and CloudWatch alarm types through the engine on the sim cloud:
groups launch and terminate real sim servers, alarm actions resize groups,
unhealthy members are replaced, and deleting the stack leaves nothing."""

import dataclasses
import datetime as dt
import json
import re
import threading

import pytest
from sqlalchemy import func, select

from cfnapi.autoscaling.alarm_actions import AutoScalingActions
from cfnapi.autoscaling.models import ScalingGroupRow, ScalingMemberRow, ScalingPolicyRow
from cfnapi.autoscaling.store import health_action_arn
from cfnapi.autoscaling.worker import GroupReconciler, ScalingWorker
from cfnapi.cloud.naming import ProviderCloudLookup
from cfnapi.cloud.sim import differences_from_seed
from cfnapi.cloud.sim.config import Behaviour
from cfnapi.cloudwatch.alarms import Transition
from cfnapi.cloudwatch.models import Alarm
from cfnapi.engine import api
from cfnapi.engine.runtime import EngineRuntime, EngineSettings
from cfnapi.engine.template_binding import TemplateCompiler
from cfnapi.engine.worker import StackWorker
from cfnapi.translate.registry import default_registry

from tests.translate.conftest import ACCOUNT, REGION, World

GROUP_TEMPLATE = """
Parameters:
  Size: {Type: Number, Default: 2}
  Flavor: {Type: String, Default: t2.micro}
Resources:
  Config:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: !Ref Flavor, UserData: !Base64 "#!/bin/sh\\necho member\\n"}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      LaunchConfigurationName: !Ref Config
      MinSize: 1
      MaxSize: 3
      DesiredCapacity: !Ref Size
      Cooldown: 600
      AvailabilityZones: !GetAZs ""
      Tags:
        - {Key: role, Value: web, PropagateAtLaunch: true}
        - {Key: private, Value: x, PropagateAtLaunch: false}
  ScaleOut:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties: {AutoScalingGroupName: !Ref Group, AdjustmentType: ChangeInCapacity, ScalingAdjustment: 1}
  ScaleIn:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties: {AutoScalingGroupName: !Ref Group, AdjustmentType: ChangeInCapacity, ScalingAdjustment: -1,
                 Cooldown: 0}
  CpuHigh:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: App
      MetricName: CPU
      Dimensions: [{Name: AutoScalingGroupName, Value: !Ref Group}]
      Statistic: Average
      Period: "60"
      EvaluationPeriods: "1"
      Threshold: "70"
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref ScaleOut]
      OKActions: [!Ref ScaleIn]
Outputs:
  ScaleOutArn: {Value: !Ref ScaleOut}
  AlarmArn: {Value: !GetAtt CpuHigh.Arn}
  AlarmName: {Value: !Ref CpuHigh}
"""


@dataclasses.dataclass(frozen=True)
class Caller:
    account_id: str = ACCOUNT
    region: str = REGION


class Harness:
    """The engine, the stack worker and a scaling worker over one sim database."""

    def __init__(self, world: World, runtime: EngineRuntime):
        self.world, self.runtime = world, runtime
        self.caller = Caller()
        self.stacks = StackWorker(runtime)
        self.reconciler = GroupReconciler(world.autoscaling, world.services)
        self.scaling = ScalingWorker(self.reconciler, "test-worker", interval=0.01)
        self.actions = AutoScalingActions(world.autoscaling, self.scaling.wake)

    def run_stacks(self) -> None:
        """Stack operations wait for group members, so the scaling worker runs meanwhile."""
        self.scaling.start()
        try:
            self.stacks.run_until_idle()
        finally:
            self.scaling.stop()
            self.scaling = ScalingWorker(self.reconciler, "test-worker", interval=0.01)

    def create(self, template=GROUP_TEMPLATE, params=None, name="web") -> dict:
        api.create_stack(self.runtime, self.caller, {"StackName": name, "TemplateBody": template,
                                                     "Parameters": params or []})
        self.run_stacks()
        return self.stack(name)

    def stack(self, name="web") -> dict:
        return api.describe_stacks(self.runtime, self.caller, {"StackName": name})["Stacks"][0]

    def events(self, name="web") -> list[dict]:
        return api.describe_stack_events(self.runtime, self.caller, {"StackName": name})["StackEvents"]

    def group(self) -> ScalingGroupRow:
        with self.world.db.transaction() as session:
            return session.scalar(select(ScalingGroupRow))

    def members(self) -> list[ScalingMemberRow]:
        return self.world.autoscaling.members(self.group().id)

    def servers(self):
        return self.world.services.provider(ACCOUNT).list_servers()

    def settle(self, done, ticks: int = 500) -> None:
        """Tick the group until ``done()``; fails after ``ticks`` rounds."""
        for _ in range(ticks):
            self.reconciler.tick(self.group().id)
            if done():
                return
            threading.Event().wait(0.01)  # let the sim's build clock move
        raise AssertionError("the group never settled")

    def in_service(self) -> list[str]:
        return [m.instance_id for m in self.members() if m.lifecycle == "InService"]

    def fire(self, arn: str, state: str = "ALARM", value: float = 90.0, dimensions=None) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        definition = {"Threshold": 70.0, "Dimensions": dimensions or []}
        self.actions(arn, Transition(ACCOUNT, REGION, "CpuHigh", "arn:alarm", "MetricAlarm", "OK", state,
                                     "Threshold Crossed", {"threshold": 70.0, "recentDatapoints": [value]},
                                     now, definition, now, (arn,)))


@pytest.fixture
def harness(tmp_path):
    from cfnapi.cloud.sim import load_config, seed
    from cfnapi.db import Base, Database
    from cfnapi.db.schema import load_models

    load_models()
    db = Database(f"sqlite:///{tmp_path / 'asg.sqlite'}")
    Base.metadata.create_all(db.engine)
    config = dataclasses.replace(load_config(), behaviour=Behaviour(0.02, 0.01, 0.01))
    seed(db, config)
    world = World(db, config, lambda: dt.datetime.now(dt.timezone.utc))
    registry = default_registry()
    provider = world.services.provider(ACCOUNT)
    compiler = TemplateCompiler(registry.supported(), lookup_for=lambda _identity: ProviderCloudLookup(provider),
                                parameter_store_for=lambda _identity: world.parameters.scoped(ACCOUNT, REGION))
    runtime = EngineRuntime(db, registry, compiler, cloud=world.services, settings=EngineSettings(
        poll_initial_seconds=0.005, poll_max_seconds=0.02, watchdog_seconds=0.01))
    yield Harness(world, runtime)
    runtime.shutdown()
    db.dispose()


def _failures(events):
    return [(e["LogicalResourceId"], e.get("ResourceStatusReason")) for e in events
            if e["ResourceStatus"].endswith("FAILED")]


def test_group_launches_members_with_tags_and_delete_leaves_nothing(harness):
    stack = harness.create()
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())
    servers = harness.servers()
    assert len(servers) == 2 and all(s.status == "ACTIVE" for s in servers)
    assert all(s.metadata.get("role") == "web" and "private" not in s.metadata for s in servers)
    assert sorted(s.id for s in servers) == sorted(harness.in_service())
    reasons = [e.get("ResourceStatusReason") or "" for e in harness.events() if e["LogicalResourceId"] == "Group"]
    for server in servers:
        assert any(r.startswith(f"Launching a new EC2 instance: {server.id}. Cause: At ") for r in reasons)

    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert re.fullmatch(rf"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:[0-9a-f-]{{36}}:"
                        rf"autoScalingGroupName/{harness.group().name}:policyName/web-ScaleOut-\w+",
                        outputs["ScaleOutArn"])
    assert outputs["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{outputs['AlarmName']}"
    with harness.world.db.transaction() as session:
        alarm = session.scalar(select(Alarm).where(Alarm.name == outputs["AlarmName"]))
        definition = json.loads(alarm.definition)
    assert definition["AlarmActions"] == [outputs["ScaleOutArn"]]
    assert definition["Threshold"] == 70.0 and definition["Period"] == 60

    api.delete_stack(harness.runtime, harness.caller, {"StackName": stack["StackId"]})
    harness.run_stacks()
    assert harness.stack(stack["StackId"])["StackStatus"] == "DELETE_COMPLETE", _failures(harness.events())
    assert differences_from_seed(harness.world.db, harness.world.config) == {}
    with harness.world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Alarm)) == 0
        assert session.scalar(select(func.count()).select_from(ScalingGroupRow)) == 0
        assert session.scalar(select(func.count()).select_from(ScalingPolicyRow)) == 0
