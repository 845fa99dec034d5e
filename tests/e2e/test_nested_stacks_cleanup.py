"""Nested stacks through boto3 against the real server: a parent deleted while a nested CREATE
change set is open takes the REVIEW_IN_PROGRESS child with it (AWS deletes a stack's change sets
and its nested stacks), and an updated child keeps the Capabilities its parent gave it."""

import json

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server

pytestmark = pytest.mark.e2e
FAST = {"Delay": 1, "MaxAttempts": 120}
STACK = "AWS::CloudFormation::Stack"
PARAM = "AWS::SSM::Parameter"

CHILD = json.dumps({
    "Parameters": {"V": {"Type": "String"}},
    "Resources": {"Inner": {"Type": PARAM, "Properties": {"Type": "String", "Value": {"Ref": "V"}}}},
})


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    root = tmp_path_factory.mktemp("nested-templates")
    (root / "child.json").write_text(CHILD)
    return root


@pytest.fixture(scope="module")
def cfn(tmp_path_factory, templates):
    running = start_server(tmp_path_factory.mktemp("cfnapi-nested"), extra_args=["--template-file-root", str(templates)])
    yield client("cloudformation", running.endpoint)
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)


def parent_body(templates, value="a"):
    return json.dumps({"Resources": {
        "Keep": {"Type": PARAM, "Properties": {"Type": "String", "Value": "kept"}},
        "Child": {"Type": STACK, "Properties": {"TemplateURL": f"file://{templates / 'child.json'}",
                                                "Parameters": {"V": value}}},
    }})


def reviewed_child(cfn, stack_name, change_set_name):
    """The StackId of the REVIEW_IN_PROGRESS child the root change set's nested CREATE change set made."""
    cfn.get_waiter("change_set_create_complete").wait(StackName=stack_name, ChangeSetName=change_set_name,
                                                      WaiterConfig=FAST)
    root = cfn.describe_change_set(StackName=stack_name, ChangeSetName=change_set_name)
    [nested_id] = [c["ResourceChange"]["ChangeSetId"] for c in root["Changes"]
                   if c["ResourceChange"]["LogicalResourceId"] == "Child"]
    child_id = cfn.describe_change_set(ChangeSetName=nested_id)["StackId"]
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    return root["ChangeSetId"], nested_id, child_id


@pytest.mark.parametrize("change_set_type", ["CREATE", "UPDATE"])
def test_deleting_a_parent_with_an_open_nested_create_change_set_deletes_the_child(cfn, templates, change_set_type):
    name = f"parent-{change_set_type.lower()}"
    if change_set_type == "UPDATE":
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(
            {"Resources": {"Keep": {"Type": PARAM, "Properties": {"Type": "String", "Value": "kept"}}}}))
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    created = cfn.create_change_set(StackName=name, ChangeSetName="open", TemplateBody=parent_body(templates),
                                    ChangeSetType=change_set_type, IncludeNestedStacks=True)
    root_id, nested_id, child_id = reviewed_child(cfn, name, "open")

    cfn.delete_stack(StackName=created["StackId"])
    cfn.get_waiter("stack_delete_complete").wait(StackName=created["StackId"], WaiterConfig=FAST)

    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    live = {s["StackId"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"}
    assert child_id not in live and created["StackId"] not in live
    for change_set in (root_id, nested_id):
        with pytest.raises(ClientError) as gone:
            cfn.describe_change_set(ChangeSetName=change_set)
        assert gone.value.response["Error"]["Code"] == "ChangeSetNotFound"


def test_an_updated_child_shows_the_capabilities_its_parent_was_given(cfn, templates):
    cfn.create_stack(StackName="caps", TemplateBody=parent_body(templates),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="caps", WaiterConfig=FAST)
    child_id = cfn.describe_stack_resource(StackName="caps", LogicalResourceId="Child")[
        "StackResourceDetail"]["PhysicalResourceId"]
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["Capabilities"] == [
        "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]

    cfn.update_stack(StackName="caps", TemplateBody=parent_body(templates, "b"), Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_update_complete").wait(StackName="caps", WaiterConfig=FAST)

    [child] = cfn.describe_stacks(StackName=child_id)["Stacks"]
    assert child["StackStatus"] == "UPDATE_COMPLETE"
    assert child["Capabilities"] == ["CAPABILITY_IAM"]
