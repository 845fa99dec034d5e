"""An agent process that is a given sim server: its identity from the sim's
Nova metadata, its key from its own user data, as a real instance has them.

heat-cfntools 2.0.0's cfn-signal takes only a handle URL; a CreationPolicy
is signalled with SignalResource, which AWS's own ``cfn-signal --stack
--resource`` sends. boto3 sends the same request here, with the instance's
key, to the agents' CloudFormation port and path (8000, ``/v1``).
"""

import json
import time

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.agents import CLOUDFORMATION_AGENT_PORT, Credentials
from cfnapi.testing.clients import client
from cfnapi.testing.sim_instance import sim_instance_view

pytestmark = pytest.mark.e2e

MEMBER_TEMPLATE = json.dumps({
    "Resources": {
        "AgentUser": {"Type": "AWS::IAM::User"},
        "AgentKey": {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "AgentUser"}}},
        "Server": {
            "Type": "AWS::EC2::Instance",
            "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT5M"}},
            "Properties": {
                "ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "m1.tiny",
                "Tags": [{"Key": "role", "Value": "web"}],
                # The instance's credential file, written by its user data (docs/agents.md).
                "UserData": {"Fn::Base64": {"Fn::Sub":
                                            "AWSAccessKeyId=${AgentKey}\nAWSSecretKey=${AgentKey.SecretAccessKey}\n"}},
            },
        },
    },
})


def wait_until(condition, timeout: float, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def server_id(cfn, stack_name: str) -> str | None:
    try:
        detail = cfn.describe_stack_resource(StackName=stack_name, LogicalResourceId="Server")["StackResourceDetail"]
    except ClientError:
        return None
    return detail.get("PhysicalResourceId") or None


def credentials_from_user_data(user_data: str) -> Credentials:
    fields = dict(line.split("=", 1) for line in user_data.splitlines() if "=" in line)
    return Credentials(fields["AWSAccessKeyId"], fields["AWSSecretKey"])


def test_a_sim_server_signals_its_creation_policy_and_reports_as_itself(agent_server, agent_host):
    admin = client("cloudformation", agent_server.endpoint)
    admin.create_stack(StackName="member", TemplateBody=MEMBER_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    server = wait_until(lambda: server_id(admin, "member"), 60, what="the server to exist")
    view = sim_instance_view(f"sqlite:///{agent_server.data_dir / 'cfnapi.sqlite'}", server)
    assert view.meta == {"role": "web"}
    agent_host.set_nova_meta(view.nova_meta())
    credentials = credentials_from_user_data(view.user_data)
    credential_file = agent_host.write_credentials(credentials, "member-credentials")

    # Its metrics carry its own identity: the sim server's uuid and tags.
    pushed = agent_host.run("cfn-push-stats", "--credential-file", str(credential_file), "--heartbeat")
    assert pushed.returncode == 0, pushed.stderr
    cw = client("cloudwatch", agent_server.endpoint, access_key=credentials.access_key_id,
                secret_key=credentials.secret_access_key)
    [metric] = cw.list_metrics(Namespace="system/linux", MetricName="Heartbeat",
                               Dimensions=[{"Name": "InstanceId", "Value": server}])["Metrics"]
    assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {"InstanceId": server, "role": "web"}

    # What `cfn-signal --stack member --resource Server` sends, with the instance's key, on port 8000 /v1.
    instance_cfn = client("cloudformation", f"http://127.0.0.1:{CLOUDFORMATION_AGENT_PORT}/v1",
                          access_key=credentials.access_key_id, secret_key=credentials.secret_access_key)

    def signalled() -> bool:
        try:
            instance_cfn.signal_resource(StackName="member", LogicalResourceId="Server", UniqueId=view.uuid,
                                         Status="SUCCESS")
        except ClientError as error:  # the server is still building: not yet waiting for signals
            assert "ValidationError" in str(error), error
            return False
        return True

    wait_until(signalled, 60, interval=1, what="the server to accept its signal")
    admin.get_waiter("stack_create_complete").wait(StackName="member", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    events = admin.describe_stack_events(StackName="member")["StackEvents"]
    server_events = [(e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events
                     if e["LogicalResourceId"] == "Server"]
    # Newest first, as AWS lists them: the signal shows as an event before the resource completed.
    assert server_events[0][0] == "CREATE_COMPLETE"
    assert ("CREATE_IN_PROGRESS", f"Received SUCCESS signal with UniqueId {view.uuid}") in server_events[1:]
