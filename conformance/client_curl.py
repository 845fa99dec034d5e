"""curl, as cfn-signal signals a wait condition."""

from __future__ import annotations

import json
import time

from cfnapi.testing.clients import client
from cfnapi.testing.server import RunningServer
from conformance import signals
from conformance.report import Report


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
