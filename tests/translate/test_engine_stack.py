"""A real template through the engine on the sim: everything created, then nothing left."""

import dataclasses
import datetime as dt

import pytest

from cfnapi.cloud.naming import ProviderCloudLookup
from cfnapi.cloud.sim import differences_from_seed
from cfnapi.cloud.sim.config import Behaviour
from cfnapi.engine import api
from cfnapi.engine.runtime import EngineRuntime, EngineSettings
from cfnapi.engine.template_binding import TemplateCompiler
from cfnapi.engine.worker import StackWorker
from cfnapi.translate.registry import default_registry

from tests.translate.conftest import ACCOUNT, REGION, World

TEMPLATE = """
Parameters:
  Image:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.20.0.0/16}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Attach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}}
  Subnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.20.1.0/24}}
  Routes: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  Default:
    Type: AWS::EC2::Route
    DependsOn: Attach
    Properties: {RouteTableId: !Ref Routes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  Assoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref Subnet, RouteTableId: !Ref Routes}}
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
  Http:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref Web, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
  Server:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref Image
      InstanceType: t2.micro
      SubnetId: !Ref Subnet
      SecurityGroupIds: [!Ref Web]
      UserData: !Base64 "#!/bin/sh\\necho hi\\n"
  Data: {Type: AWS::EC2::Volume, Properties: {AvailabilityZone: !GetAtt Server.AvailabilityZone, Size: 1}}
  Mount: {Type: AWS::EC2::VolumeAttachment, Properties: {InstanceId: !Ref Server, VolumeId: !Ref Data, Device: /dev/vdb}}
  Address: {Type: AWS::EC2::EIP, Properties: {Domain: vpc}}
  Bind:
    Type: AWS::EC2::EIPAssociation
    DependsOn: Attach
    Properties: {AllocationId: !GetAtt Address.AllocationId, InstanceId: !Ref Server}
  Config: {Type: AWS::SSM::Parameter, Properties: {Type: String, Value: !GetAtt Server.PrivateIp}}
  Agent: {Type: AWS::IAM::User}
  AgentKey: {Type: AWS::IAM::AccessKey, Properties: {UserName: !Ref Agent}}
Outputs:
  PrivateIp: {Value: !GetAtt Server.PrivateIp}
  PublicIp: {Value: !Ref Address}
  KeyId: {Value: !Ref AgentKey}
  Secret: {Value: !GetAtt AgentKey.SecretAccessKey}
  ConfigName: {Value: !Ref Config}
"""


@dataclasses.dataclass(frozen=True)
class Caller:
    account_id: str = ACCOUNT
    region: str = REGION


@pytest.fixture
def stack_world(tmp_path):
    from cfnapi.cloud.sim import load_config, seed
    from cfnapi.db import Base, Database
    from cfnapi.db.schema import load_models

    load_models()
    db = Database(f"sqlite:///{tmp_path / 'stack.sqlite'}")
    Base.metadata.create_all(db.engine)
    # Real clock, tiny delays: servers go ACTIVE and volumes available almost at once.
    config = dataclasses.replace(load_config(), behaviour=Behaviour(0.02, 0.01, 0.01))
    seed(db, config)
    world = World(db, config, lambda: dt.datetime.now(dt.timezone.utc))
    world.credentials.ensure_admin()  # the account the stack runs in must exist for access keys
    registry = default_registry()
    provider = world.services.provider(ACCOUNT)
    compiler = TemplateCompiler(registry.supported(), lookup_for=lambda _identity: ProviderCloudLookup(provider),
                                parameter_store_for=lambda _identity: world.parameters.scoped(ACCOUNT, REGION))
    runtime = EngineRuntime(db, registry, compiler, cloud=world.services, settings=EngineSettings(
        poll_initial_seconds=0.005, poll_max_seconds=0.02, watchdog_seconds=0.01))
    yield world, runtime
    runtime.shutdown()
    db.dispose()


def test_vpc_instance_stack_creates_and_deletes_without_leftovers(stack_world):
    world, runtime = stack_world
    admin = world.credentials.ensure_admin().credential
    caller = Caller(account_id=admin.account_id)
    worker = StackWorker(runtime)
    result = api.create_stack(runtime, caller, {"StackName": "web", "TemplateBody": TEMPLATE,
                                                "Capabilities": ["CAPABILITY_IAM"]})
    worker.run_until_idle()
    stack = api.describe_stacks(runtime, caller, {"StackName": "web"})["Stacks"][0]
    events = api.describe_stack_events(runtime, caller, {"StackName": "web"})["StackEvents"]
    failures = [(e["LogicalResourceId"], e.get("ResourceStatusReason")) for e in events
                if e["ResourceStatus"].endswith("FAILED")]
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["PrivateIp"].startswith("10.20.1.")
    assert outputs["PublicIp"].startswith("172.24.4.")
    assert world.credentials.get(outputs["KeyId"]).secret_access_key == outputs["Secret"]
    assert world.parameters.get(admin.account_id, REGION, outputs["ConfigName"]).value == outputs["PrivateIp"]

    project = admin.account_id
    cloud = world.services.provider(project)
    (server,) = cloud.list_servers()
    assert outputs["PublicIp"] in server.floating_ips
    assert len(server.volume_ids) == 1

    api.delete_stack(runtime, caller, {"StackName": result["StackId"]})
    worker.run_until_idle()
    stack = api.describe_stacks(runtime, caller, {"StackName": result["StackId"]})["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    assert differences_from_seed(world.db, world.config) == {}
    assert world.credentials.get(outputs["KeyId"]) is None
    assert world.parameters.get(project, REGION, outputs["ConfigName"]) is None


ZONES_TEMPLATE = """
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.30.0.0/16}}
  Second:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.30.1.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}
Outputs:
  Zones: {Value: !Join [",", !GetAZs ""]}
  SecondZone: {Value: !GetAtt Second.AvailabilityZone}
"""


def test_get_azs_in_a_running_stack_lists_every_zone_of_the_cloud(stack_world):
    world, runtime = stack_world
    admin = world.credentials.ensure_admin().credential
    caller = Caller(account_id=admin.account_id)
    api.create_stack(runtime, caller, {"StackName": "zones", "TemplateBody": ZONES_TEMPLATE})
    StackWorker(runtime).run_until_idle()
    stack = api.describe_stacks(runtime, caller, {"StackName": "zones"})["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["Zones"] == "us-east-1a,us-east-1b,us-east-1c"  # the seed's three zones
    assert outputs["SecondZone"] == "us-east-1b"


def test_dynamic_ssm_reference_in_a_property_is_resolved_at_create(stack_world):
    world, runtime = stack_world
    admin = world.credentials.ensure_admin().credential
    caller = Caller(account_id=admin.account_id)
    template = """
Resources:
  Copy:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /copied/image
      Type: String
      Value: '{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64}}'
"""
    api.create_stack(runtime, caller, {"StackName": "dynref", "TemplateBody": template})
    StackWorker(runtime).run_until_idle()
    stack = api.describe_stacks(runtime, caller, {"StackName": "dynref"})["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert world.parameters.get(admin.account_id, REGION, "/copied/image").value == "amazon-linux-2023"


def test_dynamic_reference_to_a_missing_parameter_fails_the_resource_and_rolls_back(stack_world):
    world, runtime = stack_world
    admin = world.credentials.ensure_admin().credential
    caller = Caller(account_id=admin.account_id)
    template = """
Resources:
  Copy:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: '{{resolve:ssm:/not/there}}'}
"""
    api.create_stack(runtime, caller, {"StackName": "dynmiss", "TemplateBody": template})
    StackWorker(runtime).run_until_idle()
    stack = api.describe_stacks(runtime, caller, {"StackName": "dynmiss"})["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = api.describe_stack_events(runtime, caller, {"StackName": "dynmiss"})["StackEvents"]
    assert any(e.get("ResourceStatusReason") == "Parameters: [/not/there] cannot be found."
               for e in events if e["LogicalResourceId"] == "Copy"), [e.get("ResourceStatusReason") for e in events]
