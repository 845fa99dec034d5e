"""A stack of a Keystone project survives a cfnapi restart through a trust.

cfnapi keeps the token Keystone issued for a signed request in memory only, so
after a restart it can act in the project again only through a trust the
project's user made to cfnapi's service user. The stack below waits on a wait
condition across the restart; the signal arrives on the presigned URL (no
request from the project), and the resource after it is made in the project.
"""

from __future__ import annotations

import json
import time

import pytest

from cfnapi.testing.clients import client
from cfnapi.testing.server import free_port, start_server
from conformance.signals import curl_wait_condition_signal

from .box import connect, delete_and_wait, physical_id_once_made, project_with_ec2_credential, reasons, unique, \
    wait_for_stack

DESCRIPTION = "made after cfnapi restarted"
WAIT_THEN_GROUP = json.dumps({"Resources": {
    "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
    "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
             "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "600"}},
    "Group": {"Type": "AWS::EC2::SecurityGroup", "DependsOn": "Wait",
              "Properties": {"GroupDescription": DESCRIPTION}}},
    "Outputs": {"GroupId": {"Value": {"Fn::GetAtt": ["Group", "GroupId"]}}}})


@pytest.fixture
def trusting_project(admin, clouds_yaml):
    """A project whose member user trusted cfnapi's service user with the member role."""
    identity, remove = project_with_ec2_credential(admin, "cfnapi-trust")
    cfnapi_user = connect(clouds_yaml, "box-service").current_user_id
    trust = identity.login.identity.create_trust(
        trustor_user_id=identity.user_id, trustee_user_id=cfnapi_user, project_id=identity.project_id,
        roles=[{"name": "member"}], is_impersonation=False)
    yield identity
    admin.identity.delete_trust(trust)
    remove()


def test_a_keystone_projects_stack_continues_after_a_restart_through_the_projects_trust(
        tmp_path, clouds_yaml, admin, trusting_project):
    data_dir, port = tmp_path / "cfnapi", free_port()
    args = ["--cloud", "openstack", "--cloud-name", "box", "--keystone-auth-cloud", "box-service"]
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)}
    server = start_server(data_dir, port=port, extra_args=args, env=env)
    try:
        cfn = client("cloudformation", server.endpoint, access_key=trusting_project.access,
                     secret_key=trusting_project.secret)
        name = unique("trust-restart")
        cfn.create_stack(StackName=name, TemplateBody=WAIT_THEN_GROUP)
        handle_url = physical_id_once_made(cfn, name, "Handle")

        server.stop()  # every token cfnapi held for the project is gone with the process
        server = start_server(data_dir, port=port, extra_args=args, env=env)
        curl_wait_condition_signal(handle_url, unique_id="trust-test")

        # Watch the project itself, not cfnapi: a DescribeStacks signed by the
        # project would hand cfnapi a fresh token and prove nothing.
        group = _security_group_appears(admin, trusting_project.project_id, DESCRIPTION)

        stack = wait_for_stack(cfn, name)
        assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
        assert stack["Outputs"][0]["OutputValue"] == group.id
        delete_and_wait(cfn, name)
        assert admin.network.find_security_group(group.id) is None
    finally:
        server.stop()


def _security_group_appears(admin, project_id: str, description: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for group in admin.network.security_groups(project_id=project_id):
            if group.description == description:
                return group
        time.sleep(1)
    raise AssertionError(f"no security group {description!r} in project {project_id} after {timeout}s")
