"""The event sequences of create, failed create, update, failed update and
delete, field by field, through boto3 against the real server; nested stacks
through a file:// TemplateURL; and ``aws cloudformation deploy`` unchanged.

The expected sequences are the ones AWS documents and shows: stack events
carry the stack's name as LogicalResourceId and its StackId as
PhysicalResourceId; a resource's first CREATE_IN_PROGRESS has no reason and
its second says "Resource creation Initiated"; failures name the resources in
"The following resource(s) failed to ...".
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, WaiterError

from cfnapi.testing.clients import client
from cfnapi.testing.server import client_environment, start_server

pytestmark = pytest.mark.e2e
AWS = str(Path(sys.executable).with_name("aws"))
FAST = {"Delay": 1, "MaxAttempts": 120}
STACK = "AWS::CloudFormation::Stack"
PARAM = "AWS::SSM::Parameter"

# ``Checked`` fails whenever its value does not start with "ok": a failure under the test's control.
TEMPLATE = json.dumps({
    "Parameters": {"V": {"Type": "String"}},
    "Resources": {
        "Good": {"Type": PARAM, "Properties": {"Type": "String", "Value": "steady"}},
        "Checked": {"Type": PARAM, "DependsOn": "Good",
                    "Properties": {"Type": "String", "Value": {"Ref": "V"}, "AllowedPattern": "^ok.*"}},
    },
    "Outputs": {"Checked": {"Value": {"Fn::GetAtt": ["Checked", "Value"]}}},
})


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    return tmp_path_factory.mktemp("templates")


@pytest.fixture(scope="module")
def server(tmp_path_factory, templates):
    running = start_server(tmp_path_factory.mktemp("cfnapi-lifecycle"),
                           extra_args=["--template-file-root", str(templates)])
    yield running
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)


@pytest.fixture(scope="module")
def cfn(server):
    return client("cloudformation", server.endpoint)


def params(value):
    return [{"ParameterKey": "V", "ParameterValue": value}]


def events_since(cfn, stack, start_status):
    """The stack's events, oldest first, from the last stack event with ``start_status``."""
    events = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        events += page["StackEvents"]
    events.reverse()
    starts = [i for i, e in enumerate(events)
              if e["PhysicalResourceId"] == e["StackId"] and e["ResourceStatus"] == start_status]
    return events[starts[-1]:]


def shape(events):
    return [(e["LogicalResourceId"], e["ResourceType"], e["ResourceStatus"], e.get("ResourceStatusReason"))
            for e in events]


def check_common_fields(events, stack_id, stack_name):
    assert len({e["EventId"] for e in events}) == len(events)
    for event in events:
        assert event["StackId"] == stack_id and event["StackName"] == stack_name
        assert event["Timestamp"].tzinfo is not None
        if event["ResourceType"] == STACK:
            assert event["LogicalResourceId"] == stack_name and event["PhysicalResourceId"] == stack_id
    timestamps = [e["Timestamp"] for e in events]
    assert timestamps == sorted(timestamps)


def test_create_update_failed_update_delete_event_sequences(cfn):
    stack_id = cfn.create_stack(StackName="life", TemplateBody=TEMPLATE, Parameters=params("ok-1"))["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName="life", WaiterConfig=FAST)
    created = events_since(cfn, "life", "CREATE_IN_PROGRESS")
    check_common_fields(created, stack_id, "life")
    assert shape(created) == [
        ("life", STACK, "CREATE_IN_PROGRESS", "User Initiated"),
        ("Good", PARAM, "CREATE_IN_PROGRESS", None),
        ("Good", PARAM, "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("Good", PARAM, "CREATE_COMPLETE", None),
        ("Checked", PARAM, "CREATE_IN_PROGRESS", None),
        ("Checked", PARAM, "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("Checked", PARAM, "CREATE_COMPLETE", None),
        ("life", STACK, "CREATE_COMPLETE", None),
    ]
    # The first event of a resource carries its properties; from "Initiated" on, its physical id.
    assert json.loads(created[4]["ResourceProperties"])["Value"] == "ok-1"
    assert created[4]["PhysicalResourceId"] == ""
    checked_name = created[5]["PhysicalResourceId"]
    assert checked_name.startswith("CFN-Checked-") and created[6]["PhysicalResourceId"] == checked_name

    cfn.update_stack(StackName="life", TemplateBody=TEMPLATE, Parameters=params("ok-2"))
    cfn.get_waiter("stack_update_complete").wait(StackName="life", WaiterConfig=FAST)
    updated = events_since(cfn, "life", "UPDATE_IN_PROGRESS")
    check_common_fields(updated, stack_id, "life")
    assert shape(updated) == [
        ("life", STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
        ("Checked", PARAM, "UPDATE_IN_PROGRESS", None),
        ("Checked", PARAM, "UPDATE_COMPLETE", None),
        ("life", STACK, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None),
        ("life", STACK, "UPDATE_COMPLETE", None),
    ]
    assert {e["PhysicalResourceId"] for e in updated if e["LogicalResourceId"] == "Checked"} == {checked_name}

    cfn.update_stack(StackName="life", TemplateBody=TEMPLATE, Parameters=params("bad"))
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_update_complete").wait(StackName="life", WaiterConfig=FAST)
    failed = events_since(cfn, "life", "UPDATE_IN_PROGRESS")
    check_common_fields(failed, stack_id, "life")
    assert shape(failed) == [
        ("life", STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
        ("Checked", PARAM, "UPDATE_IN_PROGRESS", None),
        ("Checked", PARAM, "UPDATE_FAILED",
         "Parameter value, bad, failed to satisfy constraint specified in AllowedPattern: ^ok.*."),
        ("life", STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Checked]. "),
        ("Checked", PARAM, "UPDATE_IN_PROGRESS", None),
        ("Checked", PARAM, "UPDATE_COMPLETE", None),
        ("life", STACK, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None),
        ("life", STACK, "UPDATE_ROLLBACK_COMPLETE", None),
    ]
    [stack] = cfn.describe_stacks(StackName="life")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "Checked", "OutputValue": "ok-2"}]
    assert stack["Parameters"] == params("ok-2")

    cfn.delete_stack(StackName="life")
    cfn.get_waiter("stack_delete_complete").wait(StackName="life", WaiterConfig=FAST)
    deleted = events_since(cfn, stack_id, "DELETE_IN_PROGRESS")
    check_common_fields(deleted, stack_id, "life")
    assert shape(deleted) == [
        ("life", STACK, "DELETE_IN_PROGRESS", "User Initiated"),
        ("Checked", PARAM, "DELETE_IN_PROGRESS", None),
        ("Checked", PARAM, "DELETE_COMPLETE", None),
        ("Good", PARAM, "DELETE_IN_PROGRESS", None),
        ("Good", PARAM, "DELETE_COMPLETE", None),
        ("life", STACK, "DELETE_COMPLETE", None),
    ]


def test_failed_create_rolls_back_with_aws_reasons(cfn):
    stack_id = cfn.create_stack(StackName="doomed", TemplateBody=TEMPLATE, Parameters=params("bad"))["StackId"]
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_create_complete").wait(StackName="doomed", WaiterConfig=FAST)
    [stack] = cfn.describe_stacks(StackName="doomed")["Stacks"]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    # As on AWS, the stack goes on saying why it rolled back (the ROLLBACK_COMPLETE event says nothing).
    assert stack["StackStatusReason"] == (
        "The following resource(s) failed to create: [Checked]. Rollback requested by user.")
    events = events_since(cfn, "doomed", "CREATE_IN_PROGRESS")
    check_common_fields(events, stack_id, "doomed")
    assert shape(events) == [
        ("doomed", STACK, "CREATE_IN_PROGRESS", "User Initiated"),
        ("Good", PARAM, "CREATE_IN_PROGRESS", None),
        ("Good", PARAM, "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("Good", PARAM, "CREATE_COMPLETE", None),
        ("Checked", PARAM, "CREATE_IN_PROGRESS", None),
        ("Checked", PARAM, "CREATE_FAILED",
         "Parameter value, bad, failed to satisfy constraint specified in AllowedPattern: ^ok.*."),
        ("doomed", STACK, "ROLLBACK_IN_PROGRESS",
         "The following resource(s) failed to create: [Checked]. Rollback requested by user."),
        ("Checked", PARAM, "DELETE_IN_PROGRESS", None),
        ("Checked", PARAM, "DELETE_COMPLETE", None),
        ("Good", PARAM, "DELETE_IN_PROGRESS", None),
        ("Good", PARAM, "DELETE_COMPLETE", None),
        ("doomed", STACK, "ROLLBACK_COMPLETE", None),
    ]
    # Nothing is left behind: the rolled-back stack's parameter is gone from the store.
    good = [e["PhysicalResourceId"] for e in events if e["LogicalResourceId"] == "Good"][-1]
    ssm_view = [r for r in cfn.describe_stack_resources(StackName="doomed")["StackResources"]]
    assert {r["ResourceStatus"] for r in ssm_view} == {"DELETE_COMPLETE"}
    assert good.startswith("CFN-Good-")
    cfn.delete_stack(StackName="doomed")
    cfn.get_waiter("stack_delete_complete").wait(StackName="doomed", WaiterConfig=FAST)


CHILD = """
Parameters:
  V: {Type: String}
Resources:
  Inner:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: !Ref V, AllowedPattern: "^ok.*"}
Outputs:
  Echo: {Value: !GetAtt Inner.Value}
"""


def parent_template(child_url):
    return json.dumps({
        "Parameters": {"V": {"Type": "String"}},
        "Resources": {
            "Child": {"Type": STACK, "Properties": {"TemplateURL": child_url, "Parameters": {"V": {"Ref": "V"}},
                                                   "TimeoutInMinutes": 5}},
            "Copy": {"Type": PARAM, "Properties": {"Type": "String",
                                                   "Value": {"Fn::GetAtt": ["Child", "Outputs.Echo"]}}},
        },
        "Outputs": {"ChildId": {"Value": {"Ref": "Child"}}, "Echo": {"Value": {"Fn::GetAtt": ["Copy", "Value"]}}},
    })


def test_nested_stack_lifecycle_through_boto3(cfn, templates):
    (templates / "child.yaml").write_text(CHILD)
    body = parent_template(f"file://{templates / 'child.yaml'}")
    parent_id = cfn.create_stack(StackName="outer", TemplateBody=body, Parameters=params("ok-a"))["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName="outer", WaiterConfig=FAST)
    [parent] = cfn.describe_stacks(StackName="outer")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in parent["Outputs"]}
    assert outputs["Echo"] == "ok-a"
    child_id = outputs["ChildId"]
    [child] = cfn.describe_stacks(StackName=child_id)["Stacks"]
    assert child["ParentId"] == parent_id and child["RootId"] == parent_id
    assert child["StackName"].startswith("outer-Child-") and child["TimeoutInMinutes"] == 5
    summaries = {s["StackId"]: s for s in cfn.list_stacks()["StackSummaries"]}
    assert summaries[child_id]["ParentId"] == parent_id
    nested_events = shape(e for e in events_since(cfn, "outer", "CREATE_IN_PROGRESS") if e["LogicalResourceId"] == "Child")
    assert nested_events == [
        ("Child", STACK, "CREATE_IN_PROGRESS", None),
        ("Child", STACK, "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("Child", STACK, "CREATE_COMPLETE", None),
    ]
    assert [e[2:] for e in shape(events_since(cfn, child_id, "CREATE_IN_PROGRESS")) if e[1] == STACK] == [
        ("CREATE_IN_PROGRESS", "User Initiated"), ("CREATE_COMPLETE", None)]

    cfn.create_change_set(StackName="outer", ChangeSetName="peek", TemplateBody=body, Parameters=params("ok-b"),
                          IncludeNestedStacks=True)
    cfn.get_waiter("change_set_create_complete").wait(StackName="outer", ChangeSetName="peek", WaiterConfig=FAST)
    root = cfn.describe_change_set(StackName="outer", ChangeSetName="peek")
    assert root["IncludeNestedStacks"] is True
    [nested_id] = [c["ResourceChange"]["ChangeSetId"] for c in root["Changes"]
                   if c["ResourceChange"]["LogicalResourceId"] == "Child"]
    nested = cfn.describe_change_set(ChangeSetName=nested_id)
    assert nested["StackId"] == child_id and nested["RootChangeSetId"] == root["ChangeSetId"]
    assert [c["ResourceChange"]["LogicalResourceId"] for c in nested["Changes"]] == ["Inner"]
    cfn.delete_change_set(StackName="outer", ChangeSetName="peek")

    cfn.update_stack(StackName="outer", TemplateBody=body, Parameters=params("ok-b"))
    cfn.get_waiter("stack_update_complete").wait(StackName="outer", WaiterConfig=FAST)
    [child] = cfn.describe_stacks(StackName=child_id)["Stacks"]
    assert child["StackStatus"] == "UPDATE_COMPLETE" and child["Outputs"][0]["OutputValue"] == "ok-b"
    [parent] = cfn.describe_stacks(StackName="outer")["Stacks"]
    assert {o["OutputKey"]: o["OutputValue"] for o in parent["Outputs"]}["Echo"] == "ok-b"

    with pytest.raises(Exception) as refused:
        cfn.continue_update_rollback(StackName=child_id)
    assert "nested stack" in str(refused.value)

    cfn.delete_stack(StackName="outer")
    cfn.get_waiter("stack_delete_complete").wait(StackName="outer", WaiterConfig=FAST)
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_nested_stack_failure_reaches_the_parent_with_aws_reason(cfn, templates):
    (templates / "child.yaml").write_text(CHILD)
    body = parent_template(f"file://{templates / 'child.yaml'}")
    cfn.create_stack(StackName="outer-bad", TemplateBody=body, Parameters=params("bad"))
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_create_complete").wait(StackName="outer-bad", WaiterConfig=FAST)
    events = events_since(cfn, "outer-bad", "CREATE_IN_PROGRESS")
    [failure] = [e for e in events if e["LogicalResourceId"] == "Child" and e["ResourceStatus"] == "CREATE_FAILED"]
    child_id = failure["PhysicalResourceId"]
    assert failure["ResourceStatusReason"] == (
        f"Embedded stack {child_id} was not successfully created: "
        "The following resource(s) failed to create: [Inner]. ")
    assert cfn.describe_stacks(StackName="outer-bad")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def aws(server, *args):
    return subprocess.run([AWS, "--endpoint-url", server.endpoint, "--output", "json", *args],
                          capture_output=True, text=True, env=client_environment(), timeout=180)


def _delete_failed_change_sets(cfn, stack_name):
    """The CLI names change sets by the second: an empty one left behind would clash with the next."""
    for summary in cfn.list_change_sets(StackName=stack_name)["Summaries"]:
        if summary["Status"] == "FAILED":
            cfn.delete_change_set(ChangeSetName=summary["ChangeSetId"])


def test_aws_cli_deploy_creates_updates_then_has_no_changes(server, cfn, tmp_path):
    template = tmp_path / "app.json"
    template.write_text(TEMPLATE)
    deploy = ["cloudformation", "deploy", "--stack-name", "clideploy", "--template-file", str(template)]

    first = aws(server, *deploy, "--parameter-overrides", "V=ok-1")
    assert first.returncode == 0, first.stderr + first.stdout
    assert "Successfully created/updated stack - clideploy" in first.stdout
    assert cfn.describe_stacks(StackName="clideploy")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"

    second = aws(server, *deploy, "--parameter-overrides", "V=ok-2")
    assert second.returncode == 0, second.stderr + second.stdout
    [stack] = cfn.describe_stacks(StackName="clideploy")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE" and stack["Parameters"] == params("ok-2")

    third = aws(server, *deploy, "--parameter-overrides", "V=ok-2")
    assert third.returncode == 255  # the CLI's default for an empty change set
    assert "No changes to deploy. Stack clideploy is up to date" in third.stderr + third.stdout
    _delete_failed_change_sets(cfn, "clideploy")  # the next may start within the same second
    quiet = aws(server, *deploy, "--parameter-overrides", "V=ok-2", "--no-fail-on-empty-changeset")
    assert quiet.returncode == 0, quiet.stderr + quiet.stdout
    assert "No changes to deploy. Stack clideploy is up to date" in quiet.stdout

    _delete_failed_change_sets(cfn, "clideploy")
    failing = aws(server, *deploy, "--parameter-overrides", "V=bad")
    assert failing.returncode == 255, failing.stderr + failing.stdout
    assert "Failed to create/update the stack" in failing.stderr + failing.stdout, failing.stderr + failing.stdout
    assert cfn.describe_stacks(StackName="clideploy")["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


def test_change_set_waiter_and_template_stages(cfn):
    cfn.create_change_set(StackName="staged", ChangeSetName="first", ChangeSetType="CREATE",
                          TemplateBody=TEMPLATE, Parameters=params("ok-1"))
    cfn.get_waiter("change_set_create_complete").wait(StackName="staged", ChangeSetName="first", WaiterConfig=FAST)
    described = cfn.describe_change_set(StackName="staged", ChangeSetName="first")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    cfn.execute_change_set(StackName="staged", ChangeSetName="first")
    cfn.get_waiter("stack_create_complete").wait(StackName="staged", WaiterConfig=FAST)
    assert cfn.describe_change_set(StackName="staged", ChangeSetName="first")["ExecutionStatus"] == "EXECUTE_COMPLETE"

    cfn.create_change_set(StackName="staged", ChangeSetName="same", TemplateBody=TEMPLATE,
                          Parameters=params("ok-1"))
    with pytest.raises(WaiterError):
        cfn.get_waiter("change_set_create_complete").wait(StackName="staged", ChangeSetName="same",
                                                          WaiterConfig=FAST)
    same = cfn.describe_change_set(StackName="staged", ChangeSetName="same")
    assert (same["Status"], same["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert same["StatusReason"].startswith("The submitted information didn't contain changes.")

    stages = cfn.get_template(StackName="staged", TemplateStage="Processed")
    assert stages["StagesAvailable"] == ["Original", "Processed"]
    assert stages["TemplateBody"] == json.loads(TEMPLATE)  # boto3 hands JSON templates back parsed


def test_update_with_disable_rollback_then_rollback_stack(cfn):
    cfn.create_stack(StackName="keep", TemplateBody=TEMPLATE, Parameters=params("ok-1"))
    cfn.get_waiter("stack_create_complete").wait(StackName="keep", WaiterConfig=FAST)
    cfn.update_stack(StackName="keep", TemplateBody=TEMPLATE, Parameters=params("bad"), DisableRollback=True)
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_update_complete").wait(StackName="keep", WaiterConfig=FAST)
    [stack] = cfn.describe_stacks(StackName="keep")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_FAILED" and stack["DisableRollback"] is True
    cfn.rollback_stack(StackName="keep")
    cfn.get_waiter("stack_rollback_complete").wait(StackName="keep", WaiterConfig=FAST)
    [stack] = cfn.describe_stacks(StackName="keep")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE" and stack["Parameters"] == params("ok-1")


WAITING = json.dumps({"Resources": {
    "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
    "Wait": {"Type": "AWS::CloudFormation::WaitCondition", "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "600"}},
}})


def wait_for_event(cfn, stack, logical_id, status, reason=None):
    for _ in range(300):
        if any((e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) == (logical_id, status, reason)
               for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]):
            return
        time.sleep(0.1)
    raise AssertionError(f"no {logical_id} {status} event")


def test_delete_during_create_cancels_it_and_delete_during_update_is_refused(cfn):
    stack_id = cfn.create_stack(StackName="impatient", TemplateBody=WAITING)["StackId"]
    wait_for_event(cfn, "impatient", "Wait", "CREATE_IN_PROGRESS", "Resource creation Initiated")
    cfn.delete_stack(StackName="impatient")
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack_id, WaiterConfig=FAST)
    stack_events = [e[2:] for e in shape(events_since(cfn, stack_id, "CREATE_IN_PROGRESS")) if e[0] == "impatient"]
    assert stack_events == [("CREATE_IN_PROGRESS", "User Initiated"), ("DELETE_IN_PROGRESS", "User Initiated"),
                            ("DELETE_COMPLETE", None)]
    assert ("Wait", "AWS::CloudFormation::WaitCondition", "CREATE_FAILED", "Resource creation cancelled") in shape(
        events_since(cfn, stack_id, "CREATE_IN_PROGRESS"))

    updating_id = cfn.create_stack(StackName="busy-update", TemplateBody=TEMPLATE, Parameters=params("ok-1"))["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName="busy-update", WaiterConfig=FAST)
    grown = json.loads(TEMPLATE)
    grown["Resources"].update(json.loads(WAITING)["Resources"])
    cfn.update_stack(StackName="busy-update", TemplateBody=json.dumps(grown), Parameters=params("ok-1"))
    with pytest.raises(ClientError) as refused:
        cfn.delete_stack(StackName="busy-update")
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["Error"]["Message"] == (
        f"Stack [{updating_id}] cannot be deleted while in status UPDATE_IN_PROGRESS")
    cfn.cancel_update_stack(StackName="busy-update")
    cfn.get_waiter("stack_rollback_complete").wait(StackName="busy-update", WaiterConfig=FAST)
    cfn.delete_stack(StackName="busy-update")
    cfn.get_waiter("stack_delete_complete").wait(StackName="busy-update", WaiterConfig=FAST)
