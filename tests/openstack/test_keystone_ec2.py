"""Keystone EC2 credentials sign requests in OpenStack mode: Keystone verifies
them (/v3/ec2tokens, called with cfnapi's service token) and the stack lands in
the credential's own project, invisible to every other project."""

from __future__ import annotations

import json
import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import client

from .box import Ec2Identity, delete_and_wait, project_with_ec2_credential, reasons, unique, wait_for_stack

SECURITY_GROUP = json.dumps({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
    "GroupDescription": "made with an EC2 credential",
    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/8"}]}}},
    "Outputs": {"GroupId": {"Value": {"Fn::GetAtt": ["Sg", "GroupId"]}}}})


@pytest.fixture(scope="module")
def two_projects(admin, clouds_yaml):
    a, remove_a = project_with_ec2_credential(admin)
    b, remove_b = project_with_ec2_credential(admin)
    yield a, b
    remove_a()
    remove_b()


def cfn_as(server, identity: Ec2Identity, secret: str | None = None):
    return client("cloudformation", server.endpoint, access_key=identity.access,
                  secret_key=secret or identity.secret)


def test_a_stack_signed_with_a_keystone_ec2_credential_runs_in_that_project_only(server, admin, two_projects):
    a, b = two_projects
    cfn_a, cfn_b = cfn_as(server, a), cfn_as(server, b)
    name = unique("ec2-signed")
    stack_id = cfn_a.create_stack(StackName=name, TemplateBody=SECURITY_GROUP)["StackId"]
    assert stack_id.split(":")[4] == a.project_id  # the account is the Keystone project
    stack = wait_for_stack(cfn_a, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn_a, name)
    group_id = stack["Outputs"][0]["OutputValue"]
    assert admin.network.get_security_group(group_id).project_id == a.project_id

    # Project B can neither see it nor delete it.
    with pytest.raises(ClientError) as caught:
        cfn_b.describe_stacks(StackName=name)
    assert caught.value.response["Error"]["Message"] == f"Stack with id {name} does not exist"
    assert name not in {s["StackName"] for s in cfn_b.list_stacks()["StackSummaries"]}
    try:
        cfn_b.delete_stack(StackName=stack_id)
    except ClientError:
        pass  # refusing outright is as good as AWS's silent no-op for a stack one cannot see
    assert wait_for_stack(cfn_a, name)["StackStatus"] == "CREATE_COMPLETE"
    assert admin.network.get_security_group(group_id).project_id == a.project_id

    delete_and_wait(cfn_a, name)
    assert admin.network.find_security_group(group_id) is None


def test_a_wrong_secret_for_a_keystone_credential_is_refused(server, two_projects):
    a, _ = two_projects
    with pytest.raises(ClientError) as caught:
        cfn_as(server, a, secret="not-" + a.secret).list_stacks()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_an_access_key_neither_cfnapi_nor_keystone_knows_is_refused(server, two_projects):
    a, _ = two_projects
    unknown = Ec2Identity(a.project_id, "0" * 32, "x" * 40)
    with pytest.raises(ClientError) as caught:
        cfn_as(server, unknown).list_stacks()
    assert caught.value.response["Error"]["Code"] in ("SignatureDoesNotMatch", "InvalidClientTokenId")
