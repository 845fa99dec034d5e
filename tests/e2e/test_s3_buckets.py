"""AWS::S3::Bucket through boto3 on a running server: GetAtt values, tags on the
container, recorded properties named in the event, a non-empty bucket's delete
failing as on AWS (DELETE_FAILED with S3's words), then retained."""

import pytest

from cfnapi.cloud.sim import SimCloud, load_config
from cfnapi.db import Database
from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server

pytestmark = pytest.mark.e2e

TEMPLATE = """
Parameters:
  Team: {Type: String}
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: team, Value: !Ref Team}]
      VersioningConfiguration: {Status: Enabled}
Outputs:
  Name: {Value: !Ref Data}
  Arn: {Value: !GetAtt Data.Arn}
  Site: {Value: !GetAtt Data.WebsiteURL}
  Domain: {Value: !GetAtt Data.DomainName}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Its own server: the retained bucket stays, and the shared server's inventory must not change.
    running = start_server(tmp_path_factory.mktemp("cfnapi-s3"))
    yield running
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)


def sim_cloud(server, account):
    db = Database(f"sqlite:///{(server.data_dir / 'cfnapi.sqlite').resolve()}")
    return db, SimCloud(db, account, load_config())


def wait(cfn, name, waiter):
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def test_a_bucket_with_objects_fails_to_delete_as_on_aws_then_is_retained(server):
    cfn = client("cloudformation", server.endpoint)
    cfn.create_stack(StackName="bucket-stack", TemplateBody=TEMPLATE,
                     Parameters=[{"ParameterKey": "Team", "ParameterValue": "ops"}])
    wait(cfn, "bucket-stack", "stack_create_complete")
    [stack] = cfn.describe_stacks(StackName="bucket-stack")["Stacks"]
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    account = stack["StackId"].split(":")[4]
    name = out["Name"]
    assert name.startswith("bucket-stack-data-") and name == name.lower()
    assert out["Arn"] == f"arn:aws:s3:::{name}"
    assert out["Site"] == f"http://object-store.sim.invalid/v1/AUTH_{account}/{name}"
    assert out["Domain"] == "object-store.sim.invalid"
    [complete] = [e for e in cfn.describe_stack_events(StackName="bucket-stack")["StackEvents"]
                  if e["LogicalResourceId"] == "Data" and e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert complete["ResourceStatusReason"] == "Recorded, not enforced on the object store: VersioningConfiguration."

    db, cloud = sim_cloud(server, account)
    try:
        created = cloud.get_container(name).metadata
        # The tags, and the creation token a resumed create finds the bucket by (docs/operations.md).
        token = created.pop("cfn-creation-token")
        assert created == {"tag-team": "ops"} and token.startswith("bucket-stack-Data-")
        cfn.update_stack(StackName="bucket-stack", TemplateBody=TEMPLATE,
                         Parameters=[{"ParameterKey": "Team", "ParameterValue": "dev"}])
        wait(cfn, "bucket-stack", "stack_update_complete")
        assert cloud.get_container(name).metadata == {"tag-team": "dev", "cfn-creation-token": token}  # same bucket
        cloud.put_object(name, "report.csv", b"a,b\n")

        cfn.delete_stack(StackName="bucket-stack")
        with pytest.raises(Exception):
            wait(cfn, "bucket-stack", "stack_delete_complete")
        [stack] = cfn.describe_stacks(StackName="bucket-stack")["Stacks"]
        assert stack["StackStatus"] == "DELETE_FAILED"
        [failed] = [e for e in cfn.describe_stack_events(StackName="bucket-stack")["StackEvents"]
                    if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Data"][:1]
        assert failed["ResourceStatusReason"].startswith("The bucket you tried to delete is not empty")

        cfn.delete_stack(StackName="bucket-stack", RetainResources=["Data"])
        wait(cfn, "bucket-stack", "stack_delete_complete")
        assert cloud.get_container(name).object_count == 1  # retained with its object
    finally:
        db.dispose()
