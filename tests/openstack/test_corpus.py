"""The corpus templates the cloud layer supports, through the openstacksdk
provider against real Nova, Neutron, Glance and Keystone: CREATE_COMPLETE,
outputs, an update in place, an update with replacement, delete — and
afterwards the project holds nothing the stacks made."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from conformance.corpus import CAPABILITIES, CORPUS_DIR, PARAMS_DIR

from .box import delete_and_wait, parameters, reasons, unique, wait_for_stack

EC2_SAMPLES = ["EC2_EC2InstanceWithSecurityGroupSample", "EC2_EIP_With_Association"]
# Another image through the same SSM alias mechanism: ImageId changes, so AWS replaces the instance.
OTHER_AMI = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"


def corpus_template(stem: str) -> str:
    path = CORPUS_DIR / "aws-samples" / f"{stem}.yaml"
    if not path.is_file():
        pytest.skip(f"corpus template {path} not present")
    return path.read_text()


@pytest.mark.parametrize("stem", EC2_SAMPLES)
def test_ec2_sample_creates_updates_replaces_and_deletes_leaving_nothing(stem, cfn, project_conn, leaves_nothing):
    body = corpus_template(stem)
    spec = json.loads((PARAMS_DIR / f"{stem}.json").read_text())
    # The sim's subnet id in the parameter file becomes the box's seeded private subnet.
    values = dict(spec["parameters"], Subnets=project_conn.network.find_subnet("private-subnet").id)
    name = unique(stem.replace("_", "-"))[:100]

    cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters(values), Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    for key, pattern in spec.get("outputs", {}).items():
        assert re.search(pattern, outputs[key]), (key, outputs[key])
    server = project_conn.compute.get_server(outputs["InstanceId"])
    assert server.status == "ACTIVE"
    assert server.key_name == values["KeyName"]

    values.update(spec["update"])
    cfn.update_stack(StackName=name, TemplateBody=body, Parameters=parameters(values), Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["InstanceId"] == outputs["InstanceId"]

    values["LatestAmiId"] = OTHER_AMI
    cfn.update_stack(StackName=name, TemplateBody=body, Parameters=parameters(values), Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    replaced = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["InstanceId"]
    assert replaced != outputs["InstanceId"]
    assert project_conn.compute.find_server(outputs["InstanceId"]) is None
    new_server = project_conn.compute.get_server(replaced)
    assert project_conn.image.get_image(new_server.image["id"]).name == "ubuntu-22.04"

    delete_and_wait(cfn, name)


def test_vpc_with_nat_gateways_creates_and_deletes_leaving_nothing(cfn, leaves_nothing):
    # Networks, subnets, routers with gateways and routes, EIPs and NAT gateways
    # through real Neutron; the box's floating IPs and router ports stay DOWN.
    body = corpus_template("VPC_VPC_With_Managed_NAT_And_Private_Subnet")
    name = unique("vpc-nat")
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    cfn.update_stack(StackName=name, TemplateBody=body, Capabilities=CAPABILITIES,
                     Parameters=[{"ParameterKey": "VPCName", "ParameterValue": "renamed"}])
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    delete_and_wait(cfn, name)


def test_wait_condition_sample_completes_when_signalled_on_the_instances_behalf(cfn, admin, project_conn,
                                                                                 leaves_nothing):
    """The box's instances never run their user data, so the test does what the
    instance's cfn-signal would: PUT a SUCCESS to the handle's presigned URL."""
    import urllib.request

    body = corpus_template("EC2_ec2_with_waitcondition_template")
    subnet = project_conn.network.find_subnet("private-subnet")
    values = {"KeyName": "default", "ImageId": project_conn.image.find_image("ubuntu-22.04").id,
              "VpcId": subnet.network_id, "SubnetId": subnet.id, "InstanceName": "kwos", "TestID": "t1",
              "TestTarget": "box", "AgentID": "a1"}
    name = unique("waitcondition")
    cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters(values), Capabilities=CAPABILITIES)

    def resource(logical_id):
        try:
            return cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical_id)["StackResourceDetail"]
        except ClientError:
            return {"ResourceStatus": "not started"}  # not reached by the engine yet

    deadline = time.monotonic() + 180
    while resource("KWOSInstance")["ResourceStatus"] != "CREATE_COMPLETE":
        assert time.monotonic() < deadline, reasons(cfn, name)
        assert not resource("KWOSInstance")["ResourceStatus"].endswith("FAILED"), reasons(cfn, name)
        time.sleep(1)
    server = admin.compute.get_server(resource("KWOSInstance")["PhysicalResourceId"])
    assert "cfn-signal" in base64.b64decode(server.user_data).decode()  # what the instance would have run
    url = resource("KWOSWaitHandle")["PhysicalResourceId"]
    signal = json.dumps({"Status": "SUCCESS", "Reason": "KWOS setup complete", "UniqueId": "kwos",
                         "Data": "signalled by the test"}).encode()
    request = urllib.request.Request(url, data=signal, method="PUT", headers={"Content-Type": ""})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30) as answer:
        assert answer.status == 200

    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    delete_and_wait(cfn, name)
