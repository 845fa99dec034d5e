"""Issue 9's loop with the real agent: cfn-push-stats in the group's members drives the group.

The stack is docs/autoscaling.md's complete example, read from the docs. Each
agent run poses as one member of the group: ``nova_meta.json`` holds the sim
server's uuid and metadata tags (``aws:autoscaling:groupName``,
``metering.stack``), the credential file holds the key the member's user data
carries, and the boto config points at 127.0.0.1, where the server listens on
the agents' fixed ports (8003 ``/v1`` for cfn-push-stats). The alarms use a
10-second Period: cfnapi keeps the samples ``--watch`` routes to such an
alarm at high resolution (boto 2 cannot ask for it), so each step takes
seconds rather than whole minutes.
"""

import json
import subprocess
import sys
import time

import pytest

from cfnapi.testing.agents import Credentials
from cfnapi.testing.clients import client
from cfnapi.testing.docs_examples import docs_example
from cfnapi.testing.sim_instance import sim_instance_view

pytestmark = pytest.mark.e2e

STACK = "agentscale"
MIN_SIZE = 1  # the example's MinSize


def wait_until(condition, timeout: float, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def group_reasons(cfn) -> list[str]:
    """The group's activities, oldest first (stack events on the group resource)."""
    events = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
    return [e.get("ResourceStatusReason") or "" for e in reversed(events) if e["LogicalResourceId"] == "Group"]


def in_service(reasons: list[str]) -> list[str]:
    """Members that came into service and were not terminated, replayed from the activities."""
    live: list[str] = []
    for reason in reasons:
        if reason.startswith("EC2 instance ") and reason.endswith(" is InService."):
            live.append(reason.split()[2])
        elif reason.startswith("Terminating EC2 instance: "):
            gone = reason.split()[3].rstrip(".")
            live = [m for m in live if m != gone]
    return live


def smallest_size_after_create(reasons: list[str]) -> int:
    """The fewest in-service members at any point once the group first reached MinSize."""
    live: set[str] = set()
    smallest, reached = None, False
    for reason in reasons:
        if reason.startswith("EC2 instance ") and reason.endswith(" is InService."):
            live.add(reason.split()[2])
        elif reason.startswith("Terminating EC2 instance: "):
            live.discard(reason.split()[3].rstrip("."))
        reached = reached or len(live) >= MIN_SIZE
        if reached:
            smallest = len(live) if smallest is None else min(smallest, len(live))
    return smallest


def sim_servers(server) -> dict[str, str]:
    """id -> status, as ``cfnapi sim show`` reports them."""
    done = subprocess.run([sys.executable, "-m", "cfnapi", "sim", "show", "--json", "--data-dir",
                           str(server.data_dir), "--log-level", "WARNING"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return {s["id"]: s["status"] for s in json.loads(done.stdout)["servers"]}


def credentials_from_user_data(user_data: str) -> Credentials:
    """The key the member's user data writes to /etc/cfn/cfn-credentials."""
    fields = dict(line.strip().split("=", 1) for line in user_data.splitlines()
                  if line.strip().startswith(("AWSAccessKeyId=", "AWSSecretKey=")))
    return Credentials(fields["AWSAccessKeyId"], fields["AWSSecretKey"])


class Members:
    """Runs the real cfn-push-stats as one member of the group or another."""

    def __init__(self, host, server):
        self.host, self.server = host, server
        self.database_url = f"sqlite:///{server.data_dir / 'cfnapi.sqlite'}"
        self.credential_file = None
        self.credentials = None

    def become(self, member: str):
        view = sim_instance_view(self.database_url, member)
        self.host.set_nova_meta(view.nova_meta())
        if self.credential_file is None:
            self.credentials = credentials_from_user_data(view.user_data)
            self.credential_file = self.host.write_credentials(self.credentials, "member-credentials")
        return view

    def push_stats(self, member: str, *args: str) -> None:
        self.become(member)
        result = self.host.run("cfn-push-stats", "--credential-file", str(self.credential_file), *args)
        assert result.returncode == 0, (result.stderr, self.host.log("cfn-push-stats"))

    def push_cpu(self, member: str, alarm: str, percent: float) -> None:
        # --cpu-util would send the machine's real load; --metric sends the same metric with a chosen value.
        self.push_stats(member, "--watch", alarm, "--metric", "CPUUtilization", "--units", "Percent",
                        "--value", str(percent))


@pytest.fixture(scope="module")
def scaling_stack(agent_server, agent_host):
    cfn = client("cloudformation", agent_server.endpoint)
    cfn.create_stack(StackName=STACK, TemplateBody=docs_example("autoscaling.md", "agent-scaling"),
                     Capabilities=["CAPABILITY_IAM"],
                     Parameters=[{"ParameterKey": "AlarmPeriod", "ParameterValue": "10"}])
    cfn.get_waiter("stack_create_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    [stack] = cfn.describe_stacks(StackName=STACK)["Stacks"]
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    members = Members(agent_host, agent_server)
    yield cfn, stack, out, members
    cfn.delete_stack(StackName=STACK)
    cfn.get_waiter("stack_delete_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def test_cfn_push_stats_grows_the_group_and_shrinks_it_back(scaling_stack, agent_server):
    cfn, _, out, members = scaling_stack
    group, alarm = out["Group"], out["CpuAlarm"]
    [first] = in_service(group_reasons(cfn))
    view = members.become(first)
    assert view.meta["aws:autoscaling:groupName"] == group and view.meta["metering.stack"] == STACK
    cw = client("cloudwatch", agent_server.endpoint, access_key=members.credentials.access_key_id,
                secret_key=members.credentials.secret_access_key)

    def alarm_state() -> str:
        return cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"]

    # Above the threshold: the alarm fires and ScaleOut adds one member.
    members.push_cpu(first, alarm, 95)
    wait_until(lambda: alarm_state() == "ALARM", 60, what=f"{alarm} to go to ALARM")
    grown = wait_until(lambda: (lambda live: live if len(live) == 2 else None)(in_service(group_reasons(cfn))),
                       60, what="the group to grow to 2")
    reasons = group_reasons(cfn)
    assert any(f"a monitor alarm {alarm} in state ALARM triggered policy" in r
               and "changing the desired capacity from 1 to 2." in r for r in reasons), reasons
    [launched] = [m for m in grown if m != first]
    assert any(r.startswith(f"Launching a new EC2 instance: {launched}. Cause: ") for r in reasons)
    detail = cfn.describe_stack_resource(StackName=STACK, LogicalResourceId="Group")["StackResourceDetail"]
    assert detail["ResourceStatusReason"] in reasons[reasons.index(f"EC2 instance {launched} is InService."):]

    # The samples as cfn-push-stats sent them: the member's uuid, its tags and the AlarmName.
    [sent] = cw.list_metrics(Namespace="system/linux", MetricName="CPUUtilization",
                             Dimensions=[{"Name": "InstanceId", "Value": first}])["Metrics"]
    assert {d["Name"]: d["Value"] for d in sent["Dimensions"]} == {
        "InstanceId": first, "aws:autoscaling:groupName": group, "metering.stack": STACK, "AlarmName": alarm}

    # Both members below the threshold: the alarm returns to OK and ScaleIn removes one.
    def both_report_low() -> bool:
        for member in in_service(group_reasons(cfn)):  # once OK, ScaleIn takes one away
            try:
                members.push_cpu(member, alarm, 12)
            except LookupError:  # ScaleIn terminated it between the listing and the push
                continue
        return alarm_state() == "OK"

    wait_until(both_report_low, 60, interval=1, what=f"{alarm} to return to OK")
    wait_until(lambda: len(in_service(group_reasons(cfn))) == 1, 60, what="the group to shrink to 1")
    reasons = group_reasons(cfn)
    assert any(f"a monitor alarm {alarm} in state OK triggered policy" in r
               and "changing the desired capacity from 2 to 1." in r for r in reasons), reasons
    [terminated] = [r for r in reasons if r.startswith("Terminating EC2 instance: ")]
    assert terminated.split()[3].rstrip(".") in grown

    # DescribeStackResources shows the newest activity as the group's reason, and the policies' ARNs.
    resources = {r["LogicalResourceId"]: r for r in
                 cfn.describe_stack_resources(StackName=STACK)["StackResources"]}
    assert resources["Group"]["PhysicalResourceId"] == group
    assert resources["Group"]["ResourceStatusReason"] in reasons[-3:]
    assert resources["ScaleOut"]["PhysicalResourceId"].startswith("arn:aws:autoscaling:")
    assert resources["CpuAlarm"]["PhysicalResourceId"] == alarm
    history = cw.describe_alarm_history(AlarmName=alarm, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    states = [json.loads(h["HistoryData"])["newState"]["stateValue"] for h in reversed(history)]
    assert "ALARM" in states and states[-1] == "OK"


def test_a_member_whose_real_heartbeat_stops_is_replaced_before_it_goes(scaling_stack, agent_server):
    """docs/autoscaling.md's heartbeat pattern with the real ``cfn-push-stats --heartbeat --watch``."""
    cfn, stack, out, members = scaling_stack
    group = out["Group"]
    [victim] = in_service(group_reasons(cfn))
    members.become(victim)
    region, account = stack["StackId"].split(":")[3:5]
    health_arn = f"arn:aws:autoscaling:{region}:{account}:setInstanceHealth:autoScalingGroupName/{group}"
    cw = client("cloudwatch", agent_server.endpoint, access_key=members.credentials.access_key_id,
                secret_key=members.credentials.secret_access_key)
    alarm = f"heartbeat-{victim}"
    # What the member's boot script does with the stack's key. Its actions start disabled: with
    # TreatMissingData breaching the alarm breaches before the first beat can arrive, and it must not
    # mark a member that has not had the chance to report yet.
    cw.put_metric_alarm(AlarmName=alarm, Namespace="system/linux", MetricName="Heartbeat",
                        Dimensions=[{"Name": "InstanceId", "Value": victim}], Statistic="SampleCount", Period=10,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold",
                        TreatMissingData="breaching", AlarmActions=[health_arn], ActionsEnabled=False)

    def state() -> str:
        return cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"]

    def beat_and_ok() -> bool:
        members.push_stats(victim, "--heartbeat", "--watch", alarm)
        return state() == "OK"

    wait_until(beat_and_ok, 60, interval=2, what=f"{alarm} to see the real heartbeats")
    cw.enable_alarm_actions(AlarmNames=[alarm])
    assert in_service(group_reasons(cfn)) == [victim]  # beating: nothing happens to it

    # The agent stops. The alarm breaches, marks the member Unhealthy, and the group replaces it.
    [replacement] = wait_until(
        lambda: (lambda live: live if live and victim not in live else None)(in_service(group_reasons(cfn))),
        90, what=f"the silent member {victim} to be replaced")
    reasons = group_reasons(cfn)
    marked = reasons.index(f"EC2 instance {victim} marked Unhealthy by alarm {alarm}.")
    launched = next(i for i, r in enumerate(reasons) if r.startswith(f"Launching a new EC2 instance: {replacement}."))
    came_up = reasons.index(f"EC2 instance {replacement} is InService.")
    [terminated] = [i for i, r in enumerate(reasons) if r.startswith(f"Terminating EC2 instance: {victim}.")]
    # replacement first: launched after the marking, in service before the old member is terminated
    assert marked < launched < came_up < terminated, reasons[marked:]
    assert smallest_size_after_create(reasons) >= MIN_SIZE, reasons

    # The inventory agrees: the old server is gone, the new one runs, the member's alarm went with it.
    wait_until(lambda: victim not in sim_servers(agent_server), 30, what=f"{victim} to leave the sim")
    assert sim_servers(agent_server)[replacement] == "ACTIVE"
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"] == []
    group_resource = cfn.describe_stack_resource(StackName=STACK, LogicalResourceId="Group")["StackResourceDetail"]
    assert group_resource["ResourceStatus"] == "CREATE_COMPLETE"
