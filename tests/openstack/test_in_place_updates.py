"""In-place EC2 updates against real Nova and Neutron: a UserData change rebuilds the
server under the same id, Tags become Nova metadata and Neutron tags, and each VPC
gets a default security group of its own, deleted with it."""

from __future__ import annotations

import base64
import json

from .box import delete_and_wait, reasons, unique, wait_for_stack


def _template(subnet_id: str, user_data: str, tier: str) -> str:
    tags = [{"Key": "Tier", "Value": tier}]
    return json.dumps({"Resources": {
        "Server": {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "m1.tiny", "SubnetId": subnet_id,
            "UserData": base64.b64encode(user_data.encode()).decode(), "Tags": tags}},
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.77.0.0/16", "Tags": tags}},
    }, "Outputs": {
        "InstanceId": {"Value": {"Ref": "Server"}},
        "VpcGroup": {"Value": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}},
    }})


def _outputs(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_user_data_and_tags_update_in_place_on_real_nova_and_neutron(cfn, admin, project_conn, leaves_nothing):
    subnet = project_conn.network.find_subnet("private-subnet").id
    name = unique("in-place")
    cfn.create_stack(StackName=name, TemplateBody=_template(subnet, "#!/bin/sh\necho one\n", "web"))
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    created = _outputs(stack)
    vpc_id = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Vpc")["StackResourceDetail"][
        "PhysicalResourceId"]
    group = project_conn.network.get_security_group(created["VpcGroup"])
    assert group.name == f"vpc-default-sg-{vpc_id}"
    assert project_conn.compute.get_server_metadata(created["InstanceId"]).metadata.get("Tier") == "web"
    assert "Tier=web" in project_conn.network.get_network(vpc_id).tags

    cfn.update_stack(StackName=name, TemplateBody=_template(subnet, "#!/bin/sh\necho two\n", "db"))
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    assert _outputs(stack) == created  # the same server and the same VPC group
    server = admin.compute.get_server(created["InstanceId"])
    assert server.status == "ACTIVE"
    assert base64.b64decode(server.user_data).decode() == "#!/bin/sh\necho two\n"
    assert project_conn.compute.get_server_metadata(created["InstanceId"]).metadata.get("Tier") == "db"
    assert "Tier=db" in project_conn.network.get_network(vpc_id).tags

    delete_and_wait(cfn, name)
    assert project_conn.network.find_security_group(created["VpcGroup"]) is None
