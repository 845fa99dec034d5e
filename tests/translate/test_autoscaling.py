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

    def create(self, template=GROUP_TEMPLATE, params=None, name="web", capabilities=()) -> dict:
        api.create_stack(self.runtime, self.caller, {"StackName": name, "TemplateBody": template,
                                                     "Parameters": params or [], "Capabilities": list(capabilities)})
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
    group = harness.group().name
    assert all(s.metadata["aws:autoscaling:groupName"] == group for s in servers)
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


def _outputs(stack) -> dict:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def _policy_arns(harness) -> dict[str, str]:
    resources = api.describe_stack_resources(harness.runtime, harness.caller, {"StackName": "web"})
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources["StackResources"]}


def test_alarm_actions_resize_the_group_within_bounds_and_cooldown(harness):
    harness.create(params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    arns = _policy_arns(harness)
    harness.fire(arns["ScaleOut"])
    harness.settle(lambda: len(harness.in_service()) == 2)
    assert harness.group().desired == 2
    reasons = [e.get("ResourceStatusReason") or "" for e in harness.events() if e["LogicalResourceId"] == "Group"]
    assert any(re.fullmatch(r"At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a monitor alarm CpuHigh in state ALARM triggered "
                            rf"policy web-ScaleOut-\w+ changing the desired capacity from 1 to 2\.", r)
               for r in reasons), reasons

    harness.fire(arns["ScaleOut"])  # within the group's 600 s cooldown: a simple policy is ignored
    harness.settle(lambda: not harness.world.autoscaling.requests(harness.group().id))
    assert harness.group().desired == 2

    harness.fire(arns["ScaleIn"], state="OK", value=10.0)  # the OK action; ScaleIn has Cooldown 0
    harness.settle(lambda: len(harness.members()) == 1)
    assert harness.group().desired == 1 and len(harness.servers()) == 1
    harness.fire(arns["ScaleIn"], state="OK", value=10.0)  # MinSize 1 holds
    harness.settle(lambda: not harness.world.autoscaling.requests(harness.group().id))
    assert harness.group().desired == 1 and len(harness.servers()) == 1
    resource = api.describe_stack_resource(harness.runtime, harness.caller,
                                           {"StackName": "web", "LogicalResourceId": "Group"})
    assert resource["StackResourceDetail"]["ResourceStatusReason"].startswith("Terminating EC2 instance: ")


def test_a_member_in_error_is_replaced_before_it_is_deleted(harness):
    harness.create(params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    (old,) = harness.in_service()
    harness.world.services.provider(ACCOUNT).force_server_status(old, "ERROR", "hypervisor lost")
    harness.reconciler.tick(harness.group().id)
    # The replacement is launched while the old member still exists: capacity never drops first.
    assert {s.id for s in harness.servers()} >= {old} and len(harness.servers()) == 2
    harness.settle(lambda: harness.in_service() and old not in harness.in_service()
                   and len(harness.servers()) == 1)
    (new,) = harness.in_service()
    assert new != old and [s.id for s in harness.servers()] == [new]
    reasons = [e.get("ResourceStatusReason") or "" for e in harness.events() if e["LogicalResourceId"] == "Group"]
    assert f"EC2 instance {old} failed the EC2 health check (impaired)." in reasons
    assert any(r.startswith(f"Launching a new EC2 instance: {new}. Cause: ") and old in r for r in reasons)
    assert any(r.startswith(f"Terminating EC2 instance: {old}.") for r in reasons)


def test_a_heartbeat_alarm_action_marks_the_member_unhealthy_and_it_is_replaced(harness):
    harness.create(params=[{"ParameterKey": "Size", "ParameterValue": "2"}])
    group = harness.group()
    first, second = harness.in_service()
    # the per-instance heartbeat alarm an instance creates for itself (docs/autoscaling.md)
    health_arn = health_action_arn(REGION, ACCOUNT, group.name)
    with harness.world.db.transaction() as session:
        harness.world.alarms.put(session, ACCOUNT, REGION, "MetricAlarm", {
            "AlarmName": f"heartbeat-{first}", "Namespace": "system/linux", "MetricName": "Heartbeat",
            "Dimensions": [{"Name": "InstanceId", "Value": first}], "Statistic": "SampleCount", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "LessThanThreshold",
            "TreatMissingData": "breaching", "AlarmActions": [health_arn]}, [], dt.datetime.now(dt.timezone.utc))
    harness.fire(health_arn, dimensions=[{"Name": "InstanceId", "Value": first}])
    harness.settle(lambda: first not in {m.instance_id for m in harness.members()}
                   and len(harness.in_service()) == 2)
    assert second in harness.in_service() and len(harness.servers()) == 2
    with harness.world.db.transaction() as session:  # the gone member's heartbeat alarm went with it
        assert session.scalar(select(Alarm).where(Alarm.name == f"heartbeat-{first}")) is None


def test_queued_alarm_work_survives_a_restart(harness):
    harness.create(params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    harness.fire(_policy_arns(harness)["ScaleOut"])  # queued; this worker never runs it
    restarted = GroupReconciler(type(harness.world.autoscaling)(harness.world.db), harness.world.services)
    assert len(harness.world.autoscaling.requests(harness.group().id)) == 1
    restarted.tick(harness.group().id)
    assert harness.group().desired == 2 and len(harness.members()) == 2
    assert harness.world.autoscaling.requests(harness.group().id) == []  # done with the change, once


def test_rolling_update_replaces_members_with_the_new_launch_configuration(harness):
    template = GROUP_TEMPLATE.replace("""  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
""", """  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    UpdatePolicy:
      AutoScalingRollingUpdate: {MaxBatchSize: 1, MinInstancesInService: 1}
""")
    harness.create(template)
    before = set(harness.in_service())
    flavors = {s.flavor_id for s in harness.servers()}
    api.update_stack(harness.runtime, harness.caller, {
        "StackName": "web", "TemplateBody": template,
        "Parameters": [{"ParameterKey": "Size", "UsePreviousValue": True},
                       {"ParameterKey": "Flavor", "ParameterValue": "m1.medium"}]})
    harness.run_stacks()
    assert harness.stack()["StackStatus"] == "UPDATE_COMPLETE", _failures(harness.events())
    after = set(harness.in_service())
    assert len(after) == 2 and not after & before
    assert {s.flavor_id for s in harness.servers()} == {"3"} != flavors


def test_creation_policy_members_count_once_they_signal(harness):
    template = GROUP_TEMPLATE.replace("""  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
""", """  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    CreationPolicy:
      ResourceSignal: {Count: 1, Timeout: PT5M}
""")
    api.create_stack(harness.runtime, harness.caller, {
        "StackName": "web", "TemplateBody": template, "Parameters": [{"ParameterKey": "Size", "ParameterValue": "1"}]})
    stack_thread = threading.Thread(target=harness.run_stacks)
    stack_thread.start()
    try:
        for _ in range(1000):
            members = harness.members() if harness.group() else []
            if members and harness.world.services.provider(ACCOUNT).get_server(members[0].instance_id).status \
                    == "ACTIVE":
                break
            threading.Event().wait(0.01)
        for _ in range(5):  # ACTIVE, but without its signal it stays Pending
            harness.reconciler.tick(harness.group().id)
        assert [m.lifecycle for m in harness.members()] == ["Pending"]
        api.signal_resource(harness.runtime, harness.caller, {
            "StackName": "web", "LogicalResourceId": "Group", "UniqueId": members[0].instance_id,
            "Status": "SUCCESS"})
    finally:
        stack_thread.join(timeout=60)
    assert harness.stack()["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())
    assert harness.in_service() == [members[0].instance_id]


def test_launch_template_and_scheduled_action(harness):
    template = """
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: ubuntu-22.04
        InstanceType: m1.small
        TagSpecifications: [{ResourceType: instance, Tags: [{Key: Name, Value: member}]}]
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber}
      MinSize: 0
      MaxSize: 5
  Grow:
    Type: AWS::AutoScaling::ScheduledAction
    Properties: {AutoScalingGroupName: !Ref Group, DesiredCapacity: 2, StartTime: "2020-01-01T00:00:00Z"}
"""
    assert harness.create(template)["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())
    harness.settle(lambda: len(harness.in_service()) == 2)
    assert {s.image_id for s in harness.servers()} == {"0e7c4a9d-2b5f-4c3a-8e61-7f8a9b0c1d02"}
    assert {s.metadata.get("Name") for s in harness.servers()} == {"member"}
    reasons = [e.get("ResourceStatusReason") or "" for e in harness.events() if e["LogicalResourceId"] == "Group"]
    assert any("a scheduled action update of AutoScalingGroup constraints to web-Grow-" in r for r in reasons)


@pytest.mark.parametrize("props, message", [
    ({"MinSize": 3, "MaxSize": 1}, "Max bound, 1, must be greater than or equal to min bound, 3"),
    ({"MinSize": 1, "MaxSize": 2, "DesiredCapacity": 5},
     "Desired capacity:5 must be between the specified min size:1 and max size:2"),
])
def test_bad_group_sizes_fail_with_aws_messages(harness, props, message):
    template = "Resources:\n  Group:\n    Type: AWS::AutoScaling::AutoScalingGroup\n    Properties: " + json.dumps(
        {"LaunchConfigurationName": "none", **props})
    harness.create(template)
    assert (harness.stack()["StackStatus"], _failures(harness.events())[0]) == (
        "ROLLBACK_COMPLETE", ("Group", message))


def test_step_scaling_picks_the_step_for_the_breach_and_clamps_to_max(harness):
    template = GROUP_TEMPLATE.replace(
        "Properties: {AutoScalingGroupName: !Ref Group, AdjustmentType: ChangeInCapacity, ScalingAdjustment: 1}",
        """Properties:
      AutoScalingGroupName: !Ref Group
      PolicyType: StepScaling
      AdjustmentType: ChangeInCapacity
      StepAdjustments:
        - {MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1}
        - {MetricIntervalLowerBound: 10, ScalingAdjustment: 3}""")
    harness.create(template, params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    arns = _policy_arns(harness)
    harness.fire(arns["ScaleOut"], value=75.0)  # 5 above the threshold: +1
    harness.settle(lambda: len(harness.in_service()) == 2)
    harness.fire(arns["ScaleOut"], value=95.0)  # 25 above: +3, clamped to MaxSize 3 (no cooldown for steps)
    harness.settle(lambda: len(harness.in_service()) == 3)
    assert harness.group().desired == 3


def test_replacing_update_brings_up_a_whole_new_set_first(harness):
    template = GROUP_TEMPLATE.replace("""  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
""", """  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    UpdatePolicy:
      AutoScalingReplacingUpdate: {WillReplace: true}
""")
    harness.create(template)
    before = set(harness.in_service())
    api.update_stack(harness.runtime, harness.caller, {
        "StackName": "web", "TemplateBody": template,
        "Parameters": [{"ParameterKey": "Size", "UsePreviousValue": True},
                       {"ParameterKey": "Flavor", "ParameterValue": "m1.small"}]})
    harness.run_stacks()
    assert harness.stack()["StackStatus"] == "UPDATE_COMPLETE", _failures(harness.events())
    assert harness.group().max_batch_size == 2
    assert not set(harness.in_service()) & before and len(harness.servers()) == 2


def test_min_successful_percent_tolerates_a_member_that_fails_to_build(harness):
    template = GROUP_TEMPLATE.replace("""  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
""", """  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    CreationPolicy:
      AutoScalingCreationPolicy: {MinSuccessfulInstancesPercent: 50}
      ResourceSignal: {Count: 1, Timeout: PT5M}
""")
    api.create_stack(harness.runtime, harness.caller, {"StackName": "web", "TemplateBody": template})
    stack_thread = threading.Thread(target=harness.run_stacks)
    stack_thread.start()
    try:
        for _ in range(1000):
            group = harness.group()
            if group and len(harness.members()) == 2:
                break
            threading.Event().wait(0.01)
        good, bad = harness.members()
        harness.world.services.provider(ACCOUNT).force_server_status(bad.instance_id, "ERROR", "no valid host")
        api.signal_resource(harness.runtime, harness.caller, {
            "StackName": "web", "LogicalResourceId": "Group", "UniqueId": good.instance_id, "Status": "SUCCESS"})
    finally:
        stack_thread.join(timeout=60)
    assert harness.stack()["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())
    reasons = [e.get("ResourceStatusReason") or "" for e in harness.events() if e["LogicalResourceId"] == "Group"]
    assert any(r.startswith("Launching a new EC2 instance failed. Status Reason: no valid host") for r in reasons)
    assert good.instance_id in harness.in_service()


def test_update_changes_sizes_but_keeps_what_policies_chose(harness):
    harness.create(params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    harness.fire(_policy_arns(harness)["ScaleOut"])
    harness.settle(lambda: len(harness.in_service()) == 2)
    # Same DesiredCapacity in the template: the policy's 2 stays (AWS does not reset it).
    api.update_stack(harness.runtime, harness.caller, {
        "StackName": "web", "TemplateBody": GROUP_TEMPLATE.replace("MaxSize: 3", "MaxSize: 4"),
        "Parameters": [{"ParameterKey": "Size", "UsePreviousValue": True}]})
    harness.run_stacks()
    assert harness.stack()["StackStatus"] == "UPDATE_COMPLETE", _failures(harness.events())
    assert (harness.group().max_size, harness.group().desired) == (4, 2)
    # A new DesiredCapacity is applied.
    api.update_stack(harness.runtime, harness.caller, {
        "StackName": "web", "TemplateBody": GROUP_TEMPLATE.replace("MaxSize: 3", "MaxSize: 4"),
        "Parameters": [{"ParameterKey": "Size", "ParameterValue": "4"}]})
    harness.run_stacks()
    assert harness.stack()["StackStatus"] == "UPDATE_COMPLETE", _failures(harness.events())
    assert len(harness.in_service()) == 4 and len(harness.servers()) == 4


def test_a_group_whose_members_cannot_launch_fails_and_rolls_back_without_leftovers(harness):
    template = """
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: {ImageId: ubuntu-22.04, InstanceType: m1.small, SecurityGroupIds: [no-such-group]}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref Template, Version: "1"}
      MinSize: 2
      MaxSize: 2
"""
    harness.create(template)
    assert harness.stack()["StackStatus"] == "ROLLBACK_COMPLETE"
    assert ("Group", "The security group 'no-such-group' does not exist") in _failures(harness.events())
    assert differences_from_seed(harness.world.db, harness.world.config) == {}
    with harness.world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ScalingGroupRow)) == 0


def test_a_recurring_scheduled_action_runs_and_is_rescheduled(harness):
    harness.create(params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    from cfnapi.autoscaling.models import ScheduledActionRow

    store = harness.world.autoscaling
    group = harness.group()
    due = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    store.put_scheduled_action(ScheduledActionRow(account_id=ACCOUNT, region=REGION, group_name=group.name,
                                                  name="nightly", next_run_at=due,
                                                  definition={"Recurrence": "0 3 * * *", "DesiredCapacity": 3}))
    harness.settle(lambda: len(harness.in_service()) == 3)
    nxt = store.scheduled_action(ACCOUNT, REGION, "nightly").next_run_at
    assert (nxt.hour, nxt.minute) == (3, 0) and nxt > dt.datetime.now(dt.timezone.utc)


def test_target_tracking_scales_in_proportion_to_the_metric(harness):
    template = GROUP_TEMPLATE.replace(
        "Properties: {AutoScalingGroupName: !Ref Group, AdjustmentType: ChangeInCapacity, ScalingAdjustment: 1}",
        """Properties:
      AutoScalingGroupName: !Ref Group
      PolicyType: TargetTrackingScaling
      TargetTrackingConfiguration:
        TargetValue: 40
        PredefinedMetricSpecification: {PredefinedMetricType: ASGAverageCPUUtilization}""")
    harness.create(template, params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    arn = _policy_arns(harness)["ScaleOut"]
    harness.fire(arn, value=100.0)  # 1 member at 100 % for a 40 % target: ceil(2.5) = 3
    harness.settle(lambda: len(harness.in_service()) == 3)
    harness.fire(arn, state="ALARM", value=20.0)  # the low alarm: 3 at 20 % -> ceil(1.5) = 2
    harness.settle(lambda: len(harness.members()) == 2)
    assert harness.group().desired == 2


def test_a_replacement_waits_for_its_creation_policy_signal_before_the_old_member_goes(harness):
    template = GROUP_TEMPLATE.replace("""  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
""", """  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    CreationPolicy:
      ResourceSignal: {Count: 1, Timeout: PT5M}
""")
    api.create_stack(harness.runtime, harness.caller, {
        "StackName": "web", "TemplateBody": template, "Parameters": [{"ParameterKey": "Size", "ParameterValue": "1"}]})
    stack_thread = threading.Thread(target=harness.run_stacks)
    stack_thread.start()
    try:
        for _ in range(1000):
            if harness.group() and harness.members():
                break
            threading.Event().wait(0.01)
        (old,) = harness.members()
        api.signal_resource(harness.runtime, harness.caller, {
            "StackName": "web", "LogicalResourceId": "Group", "UniqueId": old.instance_id, "Status": "SUCCESS"})
    finally:
        stack_thread.join(timeout=60)
    assert harness.stack()["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())

    cloud = harness.world.services.provider(ACCOUNT)
    cloud.force_server_status(old.instance_id, "ERROR", "disk failure")
    harness.settle(lambda: len(harness.members()) == 2
                   and cloud.get_server(harness.members()[1].instance_id).status == "ACTIVE")
    for _ in range(5):  # ACTIVE but unsignalled: the replacement is not in service, the old one stays
        harness.reconciler.tick(harness.group().id)
    old_row, new_row = harness.members()
    assert (old_row.instance_id, new_row.lifecycle, new_row.replaces) == (old.instance_id, "Pending", old.instance_id)
    api.signal_resource(harness.runtime, harness.caller, {
        "StackName": "web", "LogicalResourceId": "Group", "UniqueId": new_row.instance_id, "Status": "SUCCESS"})
    harness.settle(lambda: [m.instance_id for m in harness.members()] == [new_row.instance_id])
    assert harness.in_service() == [new_row.instance_id] and [s.id for s in harness.servers()] == [new_row.instance_id]


def test_the_documented_agent_scaling_template_creates_and_is_wired(harness):
    """docs/autoscaling.md's complete example: it creates, and its alarm is what cfn-push-stats can feed."""
    from cfnapi.auth.models import AccountRow
    from cfnapi.testing.docs_examples import docs_example

    with harness.world.db.transaction() as session:  # the stack's AccessKey needs its account to exist
        session.add(AccountRow(id=ACCOUNT, name="docs-example", created_at=dt.datetime.now(dt.timezone.utc)))
    stack = harness.create(docs_example("autoscaling.md", "agent-scaling"),
                           params=[{"ParameterKey": "AlarmPeriod", "ParameterValue": "10"}],
                           capabilities=["CAPABILITY_IAM"])
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert out["CpuAlarm"] == "web-cpu"  # the name the members' user data passes to --watch
    [member] = harness.servers()
    assert member.metadata["aws:autoscaling:groupName"] == out["Group"]
    assert member.metadata["metering.stack"] == "web"
    with harness.world.db.transaction() as session:
        alarm = session.scalar(select(Alarm).where(Alarm.name == "web-cpu"))
        definition = json.loads(alarm.definition)
    assert definition["Period"] == 10 and definition["Namespace"] == "system/linux"
    assert definition["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": out["Group"]}]
    policies = _policy_arns(harness)
    assert definition["AlarmActions"] == [policies["ScaleOut"]] and definition["OKActions"] == [policies["ScaleIn"]]


class _Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_an_alarm_that_stays_in_alarm_keeps_growing_the_group_after_each_cooldown(harness):
    from cfnapi.cloudwatch.evaluator import AlarmEvaluator
    from cfnapi.handlers.base import RequestContext
    from cfnapi.handlers.cloudwatch import CloudWatchHandlers

    harness.create(params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    clock = _Clock(dt.datetime.now(dt.timezone.utc).replace(second=5, microsecond=0))
    harness.reconciler.clock = clock  # cooldowns are judged on the same minutes the alarm lives on

    from cfnapi.cloudwatch.alarms import AlarmStore

    history = AlarmStore(harness.world.db)

    class ActionsInline:  # the production dispatcher's routing and history, without its thread pool
        @staticmethod
        def dispatch(transition):
            for action in transition.actions:
                harness.actions(action, transition)
                history.record_action(transition, action, None, clock())

    ctx = RequestContext(ACCOUNT, "AKIA", REGION, "req")
    cloudwatch = CloudWatchHandlers(harness.world.db, dispatcher=ActionsInline(), clock=clock)
    evaluator = AlarmEvaluator(harness.world.db, clock, ActionsInline())
    group_name = harness.group().name
    desired = []
    for _minute in range(13):  # CPU stays at 95 > 70: the alarm never leaves ALARM
        cloudwatch.handler_for("PutMetricData")(ctx, {"Namespace": "App", "MetricData": [{
            "MetricName": "CPU", "Value": 95.0, "Timestamp": clock.now,
            "Dimensions": [{"Name": "AutoScalingGroupName", "Value": group_name}]}]})
        clock.now += dt.timedelta(minutes=1)
        evaluator.evaluate_all()
        harness.settle(lambda: not harness.world.autoscaling.requests(harness.group().id))
        desired.append(harness.group().desired)
    # +1 on the transition; the repeats inside the group's 600 s cooldown change nothing;
    # the first repeat after it adds one more; MaxSize 3 stops the rest.
    assert desired == [2] * 10 + [3] * 3
    scalings = [e for e in harness.events() if e["LogicalResourceId"] == "Group"
                and "changing the desired capacity" in (e.get("ResourceStatusReason") or "")]
    assert len(scalings) == 2
    items = cloudwatch.handler_for("DescribeAlarmHistory")(ctx, {
        "AlarmName": _outputs(harness.stack())["AlarmName"], "HistoryItemType": "Action"})
    assert len(items["AlarmHistoryItems"]) == 13  # one per invocation: the transition's and 12 repeats


def test_a_repeated_step_scaling_invocation_waits_for_the_warmup_of_the_last_scale_out(harness):
    template = GROUP_TEMPLATE.replace("MaxSize: 3", "MaxSize: 6").replace(
        "Properties: {AutoScalingGroupName: !Ref Group, AdjustmentType: ChangeInCapacity, ScalingAdjustment: 1}",
        """Properties:
      AutoScalingGroupName: !Ref Group
      PolicyType: StepScaling
      AdjustmentType: ChangeInCapacity
      EstimatedInstanceWarmup: 300
      StepAdjustments:
        - {MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1}
        - {MetricIntervalLowerBound: 10, ScalingAdjustment: 3}""")
    harness.create(template, params=[{"ParameterKey": "Size", "ParameterValue": "1"}])
    arns = _policy_arns(harness)
    idle = lambda: not harness.world.autoscaling.requests(harness.group().id)  # noqa: E731
    harness.fire(arns["ScaleOut"], value=75.0)  # +1
    harness.settle(lambda: len(harness.in_service()) == 2)
    harness.fire(arns["ScaleOut"], value=75.0)  # the alarm repeats the same step: its member still warms up
    harness.settle(idle)
    assert harness.group().desired == 2
    harness.fire(arns["ScaleOut"], value=95.0)  # a bigger step: counted from the capacity without the warming one
    harness.settle(idle)
    assert harness.group().desired == 4
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=301)
    harness.reconciler.clock = lambda: later  # the warm-up is over: the same step adds again
    harness.fire(arns["ScaleOut"], value=75.0)
    harness.settle(idle)
    assert harness.group().desired == 5
