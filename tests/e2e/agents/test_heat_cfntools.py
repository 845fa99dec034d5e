"""The real heat-cfntools 2.0.0 agents (boto 2.49) against a running cfnapi.

Each agent is the installed console script run as a subprocess, configured
the way an instance's user data configures it (docs/agents.md): a boto
config naming the endpoint host, the stack's AWS::IAM::AccessKey in a
credential file, nova_meta.json giving the instance's identity. cfn-push-stats
reaches CloudWatch on port 8003 and cfn-get-metadata / cfn-hup reach
CloudFormation on port 8000, both at path /v1, because that is what they
hard-code; the server listens there through ``--agent-ports``.
"""

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError

from cfnapi.db import Database
from cfnapi.signals import SignalTarget, SignalUrls, server_secret
from cfnapi.testing.agents import CACHE_DIR, CONFIG_DIR, Credentials
from cfnapi.testing.clients import client

pytestmark = pytest.mark.e2e

INSTANCE_ID = "5d1ae0f4-3a5e-4c53-9a57-0c6f1e6c2b10"
AGENTS_TEMPLATE = json.dumps({
    "Parameters": {"Version": {"Type": "String", "Default": "1"}},
    "Resources": {
        "AgentUser": {"Type": "AWS::IAM::User"},
        "AgentKey": {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "AgentUser"}}},
        "Config": {
            "Type": "AWS::CloudFormation::WaitConditionHandle",
            "Metadata": {
                "AWS::CloudFormation::Init": {"config": {"files": {"/etc/cfn/app.conf": {"content": "colour=blue\n"}}}},
                "Version": {"Ref": "Version"},
            },
        },
    },
    "Outputs": {
        "AccessKeyId": {"Value": {"Ref": "AgentKey"}},
        "SecretAccessKey": {"Value": {"Fn::GetAtt": ["AgentKey", "SecretAccessKey"]}},
    },
})
WAIT_TEMPLATE = json.dumps({
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "300"}},
    },
    "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}},
})
FAST = {"Delay": 1, "MaxAttempts": 120}


def outputs(cfn, stack_name: str) -> dict[str, str]:
    [stack] = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def wait_until(condition, timeout: float, interval: float = 1.0, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def admin_cfn(agent_server):
    return client("cloudformation", agent_server.endpoint)


@pytest.fixture(scope="module")
def agent_stack(admin_cfn, agent_host):
    """A stack with an access key for the instance and a resource carrying metadata."""
    admin_cfn.create_stack(StackName="agents", TemplateBody=AGENTS_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    admin_cfn.get_waiter("stack_create_complete").wait(StackName="agents", WaiterConfig=FAST)
    out = outputs(admin_cfn, "agents")
    credentials = Credentials(out["AccessKeyId"], out["SecretAccessKey"])
    return credentials, agent_host.write_credentials(credentials)


@pytest.fixture
def instance(agent_host):
    agent_host.set_identity(INSTANCE_ID, {"metering.groupname": "web", "metering.stack": "agents"})
    return agent_host


def stack_client(service, agent_server, credentials: Credentials):
    return client(service, agent_server.endpoint, access_key=credentials.access_key_id,
                  secret_key=credentials.secret_access_key)


def push_stats(host, credential_file, *args: str):
    result = host.run("cfn-push-stats", "--credential-file", str(credential_file), *args)
    assert result.returncode == 0, (result.stderr, host.log("cfn-push-stats"))
    return result


# -- cfn-push-stats ---------------------------------------------------------------
def test_push_stats_moves_an_alarm_to_alarm_and_back_to_ok(agent_server, agent_stack, instance):
    credentials, credential_file = agent_stack
    cw = stack_client("cloudwatch", agent_server, credentials)  # the alarm is made with the stack's own key
    alarm = f"cpu-high-{uuid.uuid4().hex[:8]}"
    # An alarm on the group's metric, as a scaling template defines it: the agent's samples carry
    # InstanceId and tags instead, and reach it through the AlarmName dimension (--watch).
    cw.put_metric_alarm(AlarmName=alarm, Namespace="system/linux", MetricName="CPUUtilization",
                        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "web"}], Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=80.0, ComparisonOperator="GreaterThanThreshold")

    def state():
        return cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"]

    push_stats(instance, credential_file, "--watch", alarm, "--metric", "CPUUtilization", "--units", "Percent",
               "--value", "95")
    # The sample's minute must close before the alarm can judge it: up to ~60 s.
    wait_until(lambda: state() == "ALARM", 150, what=f"{alarm} to go to ALARM")

    # The sample as sent: the instance's identity and tags from nova_meta.json are its dimensions.
    sent = cw.list_metrics(Namespace="system/linux", MetricName="CPUUtilization",
                           Dimensions=[{"Name": "AlarmName", "Value": alarm}])["Metrics"]
    assert {(d["Name"], d["Value"]) for d in sent[0]["Dimensions"]} == {
        ("AlarmName", alarm), ("InstanceId", INSTANCE_ID), ("metering.groupname", "web"),
        ("metering.stack", "agents")}

    def below_threshold_and_ok():
        push_stats(instance, credential_file, "--watch", alarm, "--metric", "CPUUtilization", "--units",
                   "Percent", "--value", "12")
        return state() == "OK"

    wait_until(below_threshold_and_ok, 150, interval=5, what=f"{alarm} to return to OK")
    history = cw.describe_alarm_history(AlarmName=alarm, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [json.loads(h["HistoryData"])["newState"]["stateValue"] for h in reversed(history)] == ["ALARM", "OK"]


def test_push_stats_heartbeat_is_a_count(agent_server, agent_stack, instance):
    credentials, credential_file = agent_stack
    push_stats(instance, credential_file, "--heartbeat")  # sent with heat-cfntools' unit "Counter"
    cw = stack_client("cloudwatch", agent_server, credentials)
    now = time.time()
    points = cw.get_metric_statistics(
        Namespace="system/linux", MetricName="Heartbeat", StartTime=now - 600, EndTime=now + 60, Period=60,
        Statistics=["Sum"], Dimensions=[{"Name": "InstanceId", "Value": INSTANCE_ID},
                                        {"Name": "metering.groupname", "Value": "web"},
                                        {"Name": "metering.stack", "Value": "agents"}])["Datapoints"]
    assert sum(p["Sum"] for p in points) >= 1
    assert {p["Unit"] for p in points} == {"Count"}


def test_heartbeat_pattern_keeps_a_per_instance_alarm_ok(agent_server, agent_stack, instance):
    """docs/agents.md's healing pattern: a per-instance Heartbeat alarm on InstanceId alone, breaching
    when data is missing, fed by ``cfn-push-stats --heartbeat --watch heartbeat-<uuid>``."""
    credentials, credential_file = agent_stack
    cw = stack_client("cloudwatch", agent_server, credentials)
    alarm = f"heartbeat-{INSTANCE_ID}"
    cw.put_metric_alarm(AlarmName=alarm, Namespace="system/linux", MetricName="Heartbeat",
                        Dimensions=[{"Name": "InstanceId", "Value": INSTANCE_ID}], Statistic="SampleCount",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold",
                        TreatMissingData="breaching")

    def state():
        return cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"]

    wait_until(lambda: state() == "ALARM", 30, what="the silent instance's heartbeat alarm to breach")

    def beat_and_ok():
        push_stats(instance, credential_file, "--heartbeat", "--watch", alarm)
        return state() == "OK"

    wait_until(beat_and_ok, 150, interval=5, what=f"{alarm} to see the heartbeats")


def test_push_stats_with_a_wrong_secret_is_refused(agent_server, agent_stack, instance):
    credentials, _ = agent_stack
    wrong = instance.write_credentials(Credentials(credentials.access_key_id, "not-the-secret"), "wrong-creds")
    result = instance.run("cfn-push-stats", "--credential-file", str(wrong), "--heartbeat")
    assert result.returncode != 0
    assert "SignatureDoesNotMatch" in result.stderr


# -- cfn-signal ---------------------------------------------------------------------
def handle_url(cfn, stack_name: str) -> str:
    def url():
        try:
            resource = cfn.describe_stack_resource(StackName=stack_name, LogicalResourceId="Handle")
        except ClientError:  # the engine has not reached the handle yet
            return None
        physical = resource["StackResourceDetail"].get("PhysicalResourceId", "")
        return physical if physical.startswith("http") else None

    return wait_until(url, 60, interval=0.2, what=f"{stack_name}'s handle URL")


def signal(host, url: str, *args: str):
    result = host.run("cfn-signal", *args, url)
    assert result.returncode == 0, result.stderr  # curl exits 0 even when the server refuses
    return result


def with_query_of(url: str, other: str) -> str:
    """``url``'s path with ``other``'s Expires and Signature: one handle's credentials on another's URL."""
    return urlsplit(url)._replace(query=urlsplit(other).query).geturl()


def test_cfn_signal_completes_a_wait_condition_and_forged_urls_do_nothing(agent_server, admin_cfn, instance):
    admin_cfn.create_stack(StackName="waiter-a", TemplateBody=WAIT_TEMPLATE)
    admin_cfn.create_stack(StackName="waiter-b", TemplateBody=WAIT_TEMPLATE)
    url_a, url_b = handle_url(admin_cfn, "waiter-a"), handle_url(admin_cfn, "waiter-b")

    # Refused: stack A's signature on stack B's handle, an altered expiry, and a correctly signed but
    # expired URL (minted with the server's own key, as the server would have a day earlier).
    signal(instance, with_query_of(url_b, url_a), "-i", "forged-scope", "-d", "forged")
    expires = int(parse_qs(urlsplit(url_b).query)["Expires"][0])
    signal(instance, url_b.replace(f"Expires={expires}", f"Expires={expires + 3600}"), "-i", "altered", "-d", "x")
    db = Database(f"sqlite:///{agent_server.data_dir / 'cfnapi.sqlite'}")
    try:
        key = server_secret(db, "wait-condition-signals")
    finally:
        db.dispose()
    stack_b = admin_cfn.describe_stacks(StackName="waiter-b")["Stacks"][0]["StackId"]
    expired = SignalUrls(key, agent_server.endpoint, lifetime=-60).url(
        SignalTarget(stack_b.split(":")[4], stack_b, "Handle"))
    signal(instance, expired, "-i", "expired", "-d", "x")

    # Accepted: the genuine URL; without -i cfn-signal sends the instance's uuid from nova_meta.json.
    signal(instance, url_b, "-d", "configured")
    admin_cfn.get_waiter("stack_create_complete").wait(StackName="waiter-b", WaiterConfig=FAST)
    assert json.loads(outputs(admin_cfn, "waiter-b")["Data"]) == {INSTANCE_ID: "configured"}

    # Nothing reached stack A either; its own URL still works.
    [stack_a] = admin_cfn.describe_stacks(StackName="waiter-a")["Stacks"]
    assert stack_a["StackStatus"] == "CREATE_IN_PROGRESS"
    signal(instance, url_a, "-i", "a-1", "-d", "mine")
    admin_cfn.get_waiter("stack_create_complete").wait(StackName="waiter-a", WaiterConfig=FAST)
    assert json.loads(outputs(admin_cfn, "waiter-a")["Data"]) == {"a-1": "mine"}


def test_cfn_signal_failure_fails_the_wait_condition(agent_server, admin_cfn, instance):
    admin_cfn.create_stack(StackName="waiter-fails", TemplateBody=WAIT_TEMPLATE, OnFailure="DO_NOTHING")
    signal(instance, handle_url(admin_cfn, "waiter-fails"), "-e", "3", "-r", "install failed")
    [stack] = wait_until(lambda: [s for s in admin_cfn.describe_stacks(StackName="waiter-fails")["Stacks"]
                                  if s["StackStatus"] != "CREATE_IN_PROGRESS"], 60, what="waiter-fails to settle")
    assert stack["StackStatus"] == "CREATE_FAILED"
    events = admin_cfn.describe_stack_events(StackName="waiter-fails")["StackEvents"]
    wait_failed = [e for e in events if e["LogicalResourceId"] == "Wait" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert "install failed" in wait_failed[0]["ResourceStatusReason"]


# -- cfn-get-metadata and cfn-hup ------------------------------------------------------
def test_cfn_get_metadata_prints_the_resource_metadata(agent_stack, instance):
    _, credential_file = agent_stack
    result = instance.run("cfn-get-metadata", "--credential-file", str(credential_file), "-s", "agents", "-r", "Config")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "AWS::CloudFormation::Init": {"config": {"files": {"/etc/cfn/app.conf": {"content": "colour=blue\n"}}}},
        "Version": "1",
    }
    one_key = instance.run("cfn-get-metadata", "--credential-file", str(credential_file), "-s", "agents",
                           "-r", "Config", "-k", "AWS::CloudFormation::Init.config.files")
    assert json.loads(one_key.stdout) == {"/etc/cfn/app.conf": {"content": "colour=blue\n"}}


def test_cfn_init_applies_the_metadata(agent_stack, instance):
    credentials, _ = agent_stack
    # cfn-init takes the key on its command line; the file it writes is under the sandboxed /etc/cfn.
    result = instance.run("cfn-init", "-s", "agents", "-r", "Config", "--access-key", credentials.access_key_id,
                          "--secret-key", credentials.secret_access_key)
    assert result.returncode == 0, (result.stderr, instance.log("cfn-init"))
    assert (CONFIG_DIR / "app.conf").read_text() == "colour=blue\n"


def test_cfn_hup_runs_its_hook_after_update_stack_changes_metadata(admin_cfn, agent_stack, instance):
    _, credential_file = agent_stack
    hook_log = instance.workdir / "hook-ran"
    hooks_dir = instance.write_hup_config("agents", credential_file, {"config-changed": {
        "triggers": "post.update", "path": "Resources.Config.Metadata", "runas": "root",
        "action": f"echo ran >> {hook_log}"}})
    for cached in CACHE_DIR.glob("last_metadata*"):  # start from a fresh instance's cache
        cached.unlink()

    def hup() -> int:
        result = instance.run("cfn-hup", "--no-daemon", "-c", str(hooks_dir))
        assert result.returncode == 0, (result.stderr, instance.log("cfn-hup"))
        return len(hook_log.read_text().splitlines()) if hook_log.exists() else 0

    assert hup() == 1  # first look: no cached metadata, so it counts as a change
    assert hup() == 1  # nothing changed: the hook stays quiet

    admin_cfn.update_stack(StackName="agents", UsePreviousTemplate=True, Capabilities=["CAPABILITY_IAM"],
                           Parameters=[{"ParameterKey": "Version", "ParameterValue": "2"}])
    admin_cfn.get_waiter("stack_update_complete").wait(StackName="agents", WaiterConfig=FAST)
    assert hup() == 2  # the next poll sees the new metadata and runs the hook once
    assert json.loads((CACHE_DIR / "last_metadata_Config").read_text())["Version"] == "2"
    assert hup() == 2
