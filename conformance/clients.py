"""Scenarios driven by each real client: boto3, the AWS CLI, boto 2, curl."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS, client
from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY, RunningServer, client_environment
from conformance import signals
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
    curl(report, server)


def boto3_cloudformation(report: Report, server: RunningServer) -> None:
    cfn = client("cloudformation", server.endpoint)
    subject = "boto3 cloudformation"

    def validate():
        result = cfn.validate_template(TemplateBody=HANDLE_TEMPLATE)
        assert result["Description"] == "conformance handle", result

    def template_summary():
        summary = cfn.get_template_summary(TemplateBody=DEPLOY_TEMPLATE)
        assert summary["ResourceTypes"] == ["AWS::CloudFormation::WaitConditionHandle", "AWS::SSM::Parameter"], summary
        assert [p["ParameterKey"] for p in summary["Parameters"]] == ["Tier"], summary

    def change_sets():
        cfn.create_change_set(StackName="boto3-cs", ChangeSetName="first", ChangeSetType="CREATE",
                              TemplateBody=DEPLOY_TEMPLATE)
        cfn.get_waiter("change_set_create_complete").wait(StackName="boto3-cs", ChangeSetName="first",
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        changes = cfn.describe_change_set(StackName="boto3-cs", ChangeSetName="first")["Changes"]
        assert sorted(c["ResourceChange"]["Action"] for c in changes) == ["Add", "Add"], changes
        cfn.execute_change_set(StackName="boto3-cs", ChangeSetName="first")
        cfn.get_waiter("stack_create_complete").wait(StackName="boto3-cs", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        cfn.create_change_set(StackName="boto3-cs", ChangeSetName="second", TemplateBody=DEPLOY_TEMPLATE,
                              Parameters=[{"ParameterKey": "Tier", "ParameterValue": "green"}])
        cfn.get_waiter("change_set_create_complete").wait(StackName="boto3-cs", ChangeSetName="second",
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        [change] = cfn.describe_change_set(StackName="boto3-cs", ChangeSetName="second")["Changes"]
        assert (change["ResourceChange"]["LogicalResourceId"], change["ResourceChange"]["Action"]) == ("Setting", "Modify")
        return f"Setting: Modify, Replacement={change['ResourceChange'].get('Replacement')}"

    def events_pages():
        cfn.delete_stack(StackName="boto3-cs")
        cfn.get_waiter("stack_delete_complete").wait(StackName="boto3-cs", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        # 60 handles make well over AWS's page of 100 events, so NextToken must carry the rest.
        many = json.dumps({"Resources": {f"Handle{i}": {"Type": "AWS::CloudFormation::WaitConditionHandle"}
                                         for i in range(60)}})
        cfn.create_stack(StackName="boto3-events", TemplateBody=many)
        cfn.get_waiter("stack_create_complete").wait(StackName="boto3-events", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        pages = list(cfn.get_paginator("describe_stack_events").paginate(StackName="boto3-events"))
        events = [e for page in pages for e in page["StackEvents"]]
        assert len(pages) >= 2 and len(events) > 100 and len({e["EventId"] for e in events}) == len(events), \
            (len(pages), len(events))
        assert events[-1]["ResourceStatusReason"] == "User Initiated" and events[0]["ResourceStatus"] == "CREATE_COMPLETE"
        cfn.delete_stack(StackName="boto3-events")
        cfn.get_waiter("stack_delete_complete").wait(StackName="boto3-events", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return f"{len(events)} events in {len(pages)} pages"

    report.run(subject, "validate-template", validate)
    report.run(subject, "get-template-summary", template_summary)
    report.run(subject, "change sets: create, describe, execute, modify", change_sets)
    report.run(subject, "describe-stack-events paginated (NextToken)", events_pages)


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

    def run_raw(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([aws, "--endpoint-url", server.endpoint, "--output", "json", *args],
                              capture_output=True, text=True, env=client_environment(), timeout=180)

    def run(*args: str) -> dict:
        result = run_raw(*args)
        assert result.returncode == 0, result.stderr.strip()
        return json.loads(result.stdout) if result.stdout.strip() else {}

    def validate():
        assert run("cloudformation", "validate-template", "--template-body", HANDLE_TEMPLATE)["Description"] == "conformance handle"

    def create_stack():
        stack_id = run("cloudformation", "create-stack", "--stack-name", "cli-stack",
                       "--template-body", HANDLE_TEMPLATE)["StackId"]
        assert stack_id.startswith("arn:aws:cloudformation:us-east-1:"), stack_id

    def wait_created():
        run("cloudformation", "wait", "stack-create-complete", "--stack-name", "cli-stack")
        [stack] = run("cloudformation", "describe-stacks", "--stack-name", "cli-stack")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack["StackStatus"]

    def stack_events():
        events = run("cloudformation", "describe-stack-events", "--stack-name", "cli-stack")["StackEvents"]
        statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]
        assert statuses[0] == ("cli-stack", "CREATE_COMPLETE") and ("Handle", "CREATE_COMPLETE") in statuses, statuses
        return f"{len(events)} events"

    def delete_stack():
        run("cloudformation", "delete-stack", "--stack-name", "cli-stack")
        run("cloudformation", "wait", "stack-delete-complete", "--stack-name", "cli-stack")

    report.run("aws cli", "cloudformation validate-template", validate)
    report.run("aws cli", "cloudformation create-stack", create_stack)
    report.run("aws cli", "cloudformation wait stack-create-complete", wait_created)
    report.run("aws cli", "cloudformation describe-stack-events", stack_events)
    report.run("aws cli", "cloudformation delete-stack + wait stack-delete-complete", delete_stack)
    _aws_cli_deploy(report, run, run_raw)
    _aws_cli_cloudwatch(report, run)


DEPLOY_TEMPLATE = """\
Parameters:
  Tier: {Type: String, Default: blue}
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Setting:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: !Ref Tier}
Outputs:
  Setting: {Value: !Ref Setting}
  Tier: {Value: !GetAtt Setting.Value}
"""


def _aws_cli_deploy(report: Report, run, run_raw) -> None:
    """``aws cloudformation deploy``: change sets of type CREATE then UPDATE, and the empty one."""
    with tempfile.TemporaryDirectory(prefix="cfnapi-deploy-") as tmp:
        template = Path(tmp) / "template.yaml"
        template.write_text(DEPLOY_TEMPLATE)
        deploy = ("cloudformation", "deploy", "--stack-name", "cli-deploy", "--template-file", str(template))

        def outputs() -> dict:
            [stack] = run("cloudformation", "describe-stacks", "--stack-name", "cli-deploy")["Stacks"]
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])} | {"status": stack["StackStatus"]}

        def create():
            run_raw_ok(run_raw, *deploy)
            result = outputs()
            assert result["status"] == "CREATE_COMPLETE" and result["Tier"] == "blue", result

        def update():
            run_raw_ok(run_raw, *deploy, "--parameter-overrides", "Tier=green")
            result = outputs()
            assert result["status"] == "UPDATE_COMPLETE" and result["Tier"] == "green", result

        def no_changes():
            result = run_raw(*deploy, "--parameter-overrides", "Tier=green")
            assert result.returncode != 0 and "No changes to deploy" in result.stderr, (result.returncode, result.stderr)
            # The CLI names its change set after the current second and the failed empty
            # one stays (as on AWS): a second deploy in the same second would collide.
            time.sleep(1.1)
            result = run_raw(*deploy, "--parameter-overrides", "Tier=green", "--no-fail-on-empty-changeset")
            assert result.returncode == 0, result.stderr.strip()
            assert outputs()["status"] == "UPDATE_COMPLETE"
            return "exit 255 'No changes to deploy'; 0 with --no-fail-on-empty-changeset"

        def delete():
            run("cloudformation", "delete-stack", "--stack-name", "cli-deploy")
            run("cloudformation", "wait", "stack-delete-complete", "--stack-name", "cli-deploy")

        report.run("aws cli", "cloudformation deploy (create via change set)", create)
        report.run("aws cli", "cloudformation deploy (update, changed parameter)", update)
        report.run("aws cli", "cloudformation deploy (no changes)", no_changes)
        report.run("aws cli", "cloudformation deploy stack deleted", delete)


def run_raw_ok(run_raw, *args: str) -> None:
    result = run_raw(*args)
    assert result.returncode == 0, (result.stdout + result.stderr).strip()[-300:]


def _aws_cli_cloudwatch(report: Report, run) -> None:
    def metrics():
        run("cloudwatch", "put-metric-data", "--namespace", "Conformance/CLI", "--metric-name", "Hits", "--value", "3")
        end = datetime.now(timezone.utc) + timedelta(minutes=1)
        stats = run("cloudwatch", "get-metric-statistics", "--namespace", "Conformance/CLI", "--metric-name", "Hits",
                    "--start-time", (end - timedelta(minutes=10)).isoformat(), "--end-time", end.isoformat(),
                    "--period", "600", "--statistics", "Sum")
        assert [p["Sum"] for p in stats["Datapoints"]] == [3.0], stats

    def alarms():
        run("cloudwatch", "put-metric-alarm", "--alarm-name", "cli-alarm", "--namespace", "Conformance/CLI",
            "--metric-name", "Hits", "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1",
            "--threshold", "10", "--comparison-operator", "GreaterThanThreshold")
        [alarm] = run("cloudwatch", "describe-alarms", "--alarm-names", "cli-alarm")["MetricAlarms"]
        assert alarm["Threshold"] == 10.0 and alarm["StateValue"] == "INSUFFICIENT_DATA", alarm
        run("cloudwatch", "delete-alarms", "--alarm-names", "cli-alarm")
        assert run("cloudwatch", "describe-alarms", "--alarm-names", "cli-alarm")["MetricAlarms"] == []

    report.run("aws cli", "cloudwatch put-metric-data + get-metric-statistics", metrics)
    report.run("aws cli", "cloudwatch put-metric-alarm + describe-alarms", alarms)


BOTO2_SCRIPT = r"""
import json, sys, time
from boto.cloudformation.connection import CloudFormationConnection
from boto.ec2.cloudwatch import CloudWatchConnection
from boto.regioninfo import RegionInfo
step, port, key, secret, template = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
common = dict(aws_access_key_id=key, aws_secret_access_key=secret, is_secure=False, port=port)
# As heat-cfntools builds them: region "heat", the endpoint a bare host, so boto 2
# derives its SigV4 scope from the host name.
cfn = CloudFormationConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1/", **common)
cw = CloudWatchConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1", **common)
if step == "validate":
    out = {"description": cfn.validate_template(template_body=template).description}
elif step == "stack":
    cfn.create_stack("boto2-stack", template_body=template)
    for _ in range(300):
        status = cfn.describe_stacks("boto2-stack")[0].stack_status
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(0.2)
    # cfn-init and cfn-get-metadata read metadata this way (ContentType=JSON under the hood).
    detail = cfn.describe_stack_resource("boto2-stack", "Handle")
    resource = detail["DescribeStackResourceResponse"]["DescribeStackResourceResult"]["StackResourceDetail"]
    cfn.delete_stack("boto2-stack")
    out = {"status": status, "type": resource["ResourceType"], "metadata": json.loads(resource["Metadata"])}
elif step == "metrics":
    # cfn-push-stats' call: one datum with the AlarmName dimension.
    cw.put_metric_data("Conformance/boto2", "CPUUtilization", value=12.5, unit="Percent", dimensions={"AlarmName": "a"})
    out = {"metrics": [m.name for m in cw.list_metrics(namespace="Conformance/boto2")]}
elif step == "alarms":
    from boto.ec2.cloudwatch.alarm import MetricAlarm
    cw.put_metric_alarm(MetricAlarm(name="boto2-alarm", metric="CPUUtilization", namespace="Conformance/boto2",
                                    statistic="Average", comparison=">", threshold=90, period=60, evaluation_periods=1))
    alarms = cw.describe_alarms(alarm_names=["boto2-alarm"])
    cw.delete_alarms(["boto2-alarm"])
    out = {"alarms": [(a.name, a.threshold) for a in alarms]}
print(json.dumps(out))
"""

BOTO2_STACK_TEMPLATE = json.dumps({
    "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle",
                             "Metadata": {"AWS::CloudFormation::Init": {"config": {"files": {}}}}}},
})


def boto2(report: Report, server: RunningServer) -> None:
    def run(step: str, template: str = HANDLE_TEMPLATE) -> dict:
        result = subprocess.run(
            [sys.executable, "-c", BOTO2_SCRIPT, step, str(server.port), TEST_ACCESS_KEY, TEST_SECRET_KEY, template],
            capture_output=True, text=True, env=client_environment(), timeout=120)
        assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def validate():
        assert run("validate") == {"description": "conformance handle"}

    def stack():
        output = run("stack", BOTO2_STACK_TEMPLATE)
        assert output == {"status": "CREATE_COMPLETE", "type": "AWS::CloudFormation::WaitConditionHandle",
                          "metadata": {"AWS::CloudFormation::Init": {"config": {"files": {}}}}}, output

    def metrics():
        assert run("metrics") == {"metrics": ["CPUUtilization"]}

    def alarms():
        assert run("alarms") == {"alarms": [["boto2-alarm", 90.0]]}

    report.run("boto 2.49", "cloudformation validate-template (host-derived SigV4 scope)", validate)
    report.run("boto 2.49", "create-stack + describe-stack-resource metadata (ContentType=JSON)", stack)
    report.run("boto 2.49", "cloudwatch put-metric-data + list-metrics (as cfn-push-stats)", metrics)
    report.run("boto 2.49", "cloudwatch put-metric-alarm + describe-alarms", alarms)


def curl(report: Report, server: RunningServer) -> None:
    """A wait condition signalled as cfn-signal signals it: curl PUT, empty Content-Type, JSON body."""
    cfn = client("cloudformation", server.endpoint)
    template = json.dumps({"Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "300"}}},
        "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}}})

    def signal():
        cfn.create_stack(StackName="curl-signal", TemplateBody=template)
        url = _handle_url(cfn, "curl-signal")
        signals.curl_wait_condition_signal(url, unique_id="i-1", data="ready")
        cfn.get_waiter("stack_create_complete").wait(StackName="curl-signal", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        [stack] = cfn.describe_stacks(StackName="curl-signal")["Stacks"]
        assert json.loads(stack["Outputs"][0]["OutputValue"]) == {"i-1": "ready"}, stack["Outputs"]
        cfn.delete_stack(StackName="curl-signal")
        cfn.get_waiter("stack_delete_complete").wait(StackName="curl-signal", WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    report.run("curl (as cfn-signal)", "PUT wait condition signal -> CREATE_COMPLETE, Data output", signal)


def _handle_url(cfn, stack_name: str) -> str:
    for _ in range(300):
        for resource in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]:
            if resource["LogicalResourceId"] == "Handle" and resource.get("PhysicalResourceId", "").startswith("http"):
                return resource["PhysicalResourceId"]
        time.sleep(0.2)
    raise AssertionError("the handle never got its URL")
