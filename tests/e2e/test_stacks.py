"""Stacks end to end with boto3 waiters, and a wait condition signalled the way cfn-signal does (curl PUT)."""

import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import client

pytestmark = pytest.mark.e2e

WAIT_TEMPLATE = json.dumps({
    "Parameters": {"Count": {"Type": "Number", "Default": "1"}},
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "300", "Count": {"Ref": "Count"}}},
    },
    "Outputs": {"Url": {"Value": {"Ref": "Handle"}}, "Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}},
})


def curl_signal(url: str, status: str, unique_id: str, data: str = "") -> subprocess.CompletedProcess:
    body = json.dumps({"Status": status, "Reason": "from curl", "UniqueId": unique_id, "Data": data})
    # cfn-signal sends a PUT with an empty Content-Type header.
    return subprocess.run(["curl", "-sS", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                           "-H", "Content-Type:", "--data-binary", body, url],
                          capture_output=True, text=True, timeout=30)


def handle_url(cfn, stack_name: str) -> str:
    """The handle's presigned URL, once the engine has created it (bounded wait)."""
    for _ in range(100):
        resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
        urls = [r.get("PhysicalResourceId", "") for r in resources if r["LogicalResourceId"] == "Handle"]
        if urls and urls[0].startswith("http"):
            return urls[0]
        time.sleep(0.1)
    raise AssertionError("the handle never got its URL")


def test_wait_condition_signalled_with_curl(server):
    cfn = client("cloudformation", server.endpoint)
    stack_id = cfn.create_stack(StackName="waiting", TemplateBody=WAIT_TEMPLATE)["StackId"]
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:")
    url = handle_url(cfn, "waiting")
    assert url.startswith(server.endpoint + "/waitcondition/")

    tampered = url.replace("Handle", "Wait", 1)
    assert curl_signal(tampered, "SUCCESS", "x").stdout == "403"
    assert curl_signal(url, "SUCCESS", "instance-1", "hello").stdout == "200"
    cfn.get_waiter("stack_create_complete").wait(StackName="waiting", WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    [stack] = cfn.describe_stacks(StackName="waiting")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["Url"] == url
    assert json.loads(outputs["Data"]) == {"instance-1": "hello"}
    events = cfn.describe_stack_events(StackName="waiting")["StackEvents"]
    assert events[0]["LogicalResourceId"] == "waiting" and events[0]["ResourceStatus"] == "CREATE_COMPLETE"
    assert events[-1]["ResourceStatus"] == "CREATE_IN_PROGRESS" and events[-1]["ResourceStatusReason"] == "User Initiated"

    cfn.delete_stack(StackName="waiting")
    cfn.get_waiter("stack_delete_complete").wait(StackName="waiting", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    with pytest.raises(ClientError) as caught:
        cfn.describe_stacks(StackName="waiting")
    assert caught.value.response["Error"]["Message"] == "Stack with id waiting does not exist"
    assert curl_signal(url, "SUCCESS", "late").stdout == "404"


def test_failure_signal_rolls_back(server):
    cfn = client("cloudformation", server.endpoint)
    cfn.create_stack(StackName="failing", TemplateBody=WAIT_TEMPLATE)
    url = handle_url(cfn, "failing")
    assert curl_signal(url, "FAILURE", "instance-1").stdout == "200"
    with pytest.raises(Exception):
        cfn.get_waiter("stack_create_complete").wait(StackName="failing", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    [stack] = cfn.describe_stacks(StackName="failing")["Stacks"]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="failing")["StackEvents"]]
    assert any("WaitCondition received failed message" in r for r in reasons)


SIGNALLED_INSTANCE = json.dumps({
    "Resources": {
        "Server": {"Type": "AWS::EC2::Instance",
                   "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT5M"}},
                   "Properties": {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro"}},
        "Name": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}},
    },
})


def _signal_error(cfn, stack_name, logical_id, unique_id) -> str:
    with pytest.raises(ClientError) as caught:
        cfn.signal_resource(StackName=stack_name, LogicalResourceId=logical_id, UniqueId=unique_id, Status="SUCCESS")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    return caught.value.response["Error"]["Message"]


def test_signal_resource_only_while_the_resource_waits_for_it(server):
    cfn = client("cloudformation", server.endpoint)
    stack_id = cfn.create_stack(StackName="signalled", TemplateBody=SIGNALLED_INSTANCE)["StackId"]
    for _ in range(300):  # bounded: until the instance is built and waits for its signal
        resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(
            StackName="signalled")["StackResources"]}
        if (resources.get("Name", {}).get("ResourceStatus") == "CREATE_COMPLETE"
                and resources.get("Server", {}).get("PhysicalResourceId")):
            break
        time.sleep(0.1)
    assert _signal_error(cfn, "signalled", "Name", "x") == (
        "Resource Name is in CREATE_COMPLETE state and cannot be signaled")
    instance_id = resources["Server"]["PhysicalResourceId"]
    cfn.signal_resource(StackName="signalled", LogicalResourceId="Server", UniqueId=instance_id, Status="SUCCESS")
    cfn.get_waiter("stack_create_complete").wait(StackName="signalled", WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    assert _signal_error(cfn, "signalled", "Server", "another") == (
        f"Stack {stack_id} is in CREATE_COMPLETE state and cannot be signaled")
    cfn.delete_stack(StackName="signalled")
    cfn.get_waiter("stack_delete_complete").wait(StackName="signalled", WaiterConfig={"Delay": 1, "MaxAttempts": 60})


COUNTED_WAIT = json.dumps({
    "Parameters": {"Timeout": {"Type": "String", "Default": "300"}},
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": {"Ref": "Timeout"}, "Count": "2"}},
    },
    "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}},
})


def _status(cfn, stack_name):
    return cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]


def _reasons(cfn, stack_name, logical_id):
    return [e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
            if e["LogicalResourceId"] == logical_id]


def test_a_wait_condition_with_count_two_waits_for_the_second_signal(server):
    cfn = client("cloudformation", server.endpoint)
    cfn.create_stack(StackName="counted", TemplateBody=COUNTED_WAIT)
    url = handle_url(cfn, "counted")
    assert curl_signal(url, "SUCCESS", "first", "a").stdout == "200"
    assert curl_signal(url, "SUCCESS", "first", "a again").stdout == "200"  # the same UniqueId counts once
    time.sleep(2)  # the engine polls the condition far more often than this
    assert _status(cfn, "counted") == "CREATE_IN_PROGRESS"
    assert curl_signal(url, "SUCCESS", "second", "b").stdout == "200"
    cfn.get_waiter("stack_create_complete").wait(StackName="counted", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    [stack] = cfn.describe_stacks(StackName="counted")["Stacks"]
    assert set(json.loads(stack["Outputs"][0]["OutputValue"])) == {"first", "second"}
    cfn.delete_stack(StackName="counted")
    cfn.get_waiter("stack_delete_complete").wait(StackName="counted", WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def test_a_wait_condition_times_out_with_awss_reason_and_rolls_back(server):
    cfn = client("cloudformation", server.endpoint)
    cfn.create_stack(StackName="timing-out", TemplateBody=COUNTED_WAIT,
                     Parameters=[{"ParameterKey": "Timeout", "ParameterValue": "1"}])
    with pytest.raises(Exception):
        cfn.get_waiter("stack_create_complete").wait(StackName="timing-out",
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert _status(cfn, "timing-out") == "ROLLBACK_COMPLETE"
    assert "WaitCondition timed out. Received 0 conditions when expecting 2" in _reasons(cfn, "timing-out", "Wait")
    left = cfn.describe_stack_resources(StackName="timing-out")["StackResources"]
    assert {r["ResourceStatus"] for r in left} <= {"DELETE_COMPLETE"}, left  # the rollback deleted the handle
    cfn.delete_stack(StackName="timing-out")


def test_a_failure_signal_through_signal_resource_fails_the_resource_and_rolls_back(server):
    cfn = client("cloudformation", server.endpoint)
    cfn.create_stack(StackName="refused", TemplateBody=SIGNALLED_INSTANCE)
    for _ in range(300):  # bounded: until the instance waits for its signal
        try:
            cfn.signal_resource(StackName="refused", LogicalResourceId="Server", UniqueId="i-bad", Status="FAILURE")
            break
        except ClientError as error:
            message = error.response["Error"]["Message"]  # not created, or not waiting yet
            assert "cannot be signaled" in message or message == "Resource Server does not exist for stack refused"
            time.sleep(0.1)
    else:
        raise AssertionError("the instance never waited for its signal")
    with pytest.raises(Exception):
        cfn.get_waiter("stack_create_complete").wait(StackName="refused", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert _status(cfn, "refused") == "ROLLBACK_COMPLETE"
    reasons = _reasons(cfn, "refused", "Server")
    assert "Received FAILURE signal with UniqueId i-bad" in reasons
    assert "The following resource(s) failed to create: [Server]. Rollback requested by user." in \
        _reasons(cfn, "refused", "refused")
    cfn.delete_stack(StackName="refused")
    cfn.get_waiter("stack_delete_complete").wait(StackName="refused", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
