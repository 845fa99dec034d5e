"""Network ACLs, launch templates, IAM and internet gateways end to end through boto3 on the
sim: Ref and Fn::GetAtt values as AWS documents them, update in place, update with
replacement (a createOnly property), the failure AWS would give rolling back cleanly, and
DeleteStack leaving the sim as the seed. Most of these types are only recorded: their
CREATE_COMPLETE event says what is recorded and what is checked, in the docs' own words."""

import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import client
from cfnapi.translate.ec2_vpc import router_name
from tests.e2e.lifecycle import (
    IN_PLACE, REPLACED, ROLLED_BACK, Run, Scenario, Step, complete_reason, create_fails, fast_sim_server,
    run_scenario, wait,
)

pytestmark = pytest.mark.e2e

RESOURCE_TYPES_DOC = (Path(__file__).parents[2] / "docs" / "resource-types.md").read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = fast_sim_server(tmp_path_factory.mktemp("cfnapi-recorded-types"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def cfn(server):
    return client("cloudformation", server.endpoint)


def account_of(run: Run) -> str:
    return run.cfn.describe_stacks(StackName=run.name)["Stacks"][0]["StackId"].split(":")[4]


def says_what_is_recorded(run: Run, logical_id: str, type_name: str) -> None:
    """The CREATE_COMPLETE reason of a record-only type is its row's sentence in the docs table."""
    reason = complete_reason(run.cfn, run.name, logical_id)
    assert reason and reason.startswith("Recorded"), reason
    [row] = [line for line in RESOURCE_TYPES_DOC.splitlines() if line.startswith(f"| `{type_name}` |")]
    assert row.rstrip(" |").endswith(reason), (row, reason)


# --- network ACLs ----------------------------------------------------------------------------------

NETWORK_ACL = """
Parameters:
  AclVpc: {Type: String, Default: first, AllowedValues: [first, second]}
  Rule: {Type: Number, Default: 100}
  Action: {Type: String, Default: allow}
  Cidr: {Type: String, Default: 0.0.0.0/0}
  Duplicate: {Type: String, Default: "no"}
Conditions:
  FirstVpc: !Equals [!Ref AclVpc, first]
  Twice: !Equals [!Ref Duplicate, "yes"]
Resources:
  First: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.70.0.0/16}}
  Second: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.71.0.0/16}}
  FirstSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref First, CidrBlock: 10.70.1.0/24}}
  SecondSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Second, CidrBlock: 10.71.1.0/24}}
  Acl:
    Type: AWS::EC2::NetworkAcl
    Properties:
      VpcId: !If [FirstVpc, !Ref First, !Ref Second]
      Tags: [{Key: tier, Value: web}]
  Ssh:
    Type: AWS::EC2::NetworkAclEntry
    Properties:
      NetworkAclId: !Ref Acl
      RuleNumber: !Ref Rule
      Protocol: 6
      RuleAction: !Ref Action
      CidrBlock: !Ref Cidr
      PortRange: {From: 22, To: 22}
  SshAgain:
    Type: AWS::EC2::NetworkAclEntry
    Condition: Twice
    DependsOn: Ssh
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: !Ref Rule, Protocol: -1, RuleAction: deny, CidrBlock: 0.0.0.0/0}
  Outbound:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: !Ref Rule, Egress: true, Protocol: -1, RuleAction: allow,
                 CidrBlock: 0.0.0.0/0}
  Assoc:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties: {SubnetId: !If [FirstVpc, !Ref FirstSubnet, !Ref SecondSubnet], NetworkAclId: !Ref Acl}
Outputs:
  AclRef: {Value: !Ref Acl}
  AclId: {Value: !GetAtt Acl.Id}
  SshRef: {Value: !Ref Ssh}
  SshId: {Value: !GetAtt Ssh.Id}
  AssocRef: {Value: !Ref Assoc}
  AssocId: {Value: !GetAtt Assoc.AssociationId}
"""


def _acl_values(run: Run) -> None:
    out = run.outputs()
    assert re.fullmatch(r"acl-[0-9a-f]{17}", out["AclRef"]) and out["AclId"] == out["AclRef"]
    assert out["SshId"] == out["SshRef"] == run.physical_id("Ssh")
    assert re.fullmatch(r"aclassoc-[0-9a-f]{17}", out["AssocRef"]) and out["AssocId"] == out["AssocRef"]
    assert out["AclRef"] == run.physical_id("Acl")
    for logical_id, type_name in (("Acl", "AWS::EC2::NetworkAcl"), ("Ssh", "AWS::EC2::NetworkAclEntry"),
                                  ("Assoc", "AWS::EC2::SubnetNetworkAclAssociation")):
        says_what_is_recorded(run, logical_id, type_name)
    run.notes["acl"], run.notes["assoc"] = out["AclRef"], out["AssocRef"]


def _acl_kept(run: Run) -> None:
    assert run.physical_id("Acl") == run.notes["acl"]


def _acl_and_its_children_replaced(run: Run) -> None:
    out = run.outputs()
    assert out["AclRef"] != run.notes["acl"] and out["AssocRef"] != run.notes["assoc"]
    assert run.physical_id("Ssh") != run.seen["Ssh"][-1]


ACL_LIFE = Scenario(
    "acl", NETWORK_ACL, "Ssh", on_create=_acl_values, steps=(
        Step(IN_PLACE, {"Action": "deny", "Cidr": "10.0.0.0/8"}, check=_acl_kept),
        Step(REPLACED, {"Action": "deny", "Cidr": "10.0.0.0/8", "Rule": 110}, check=_acl_kept),  # RuleNumber
        Step(REPLACED, {"Action": "deny", "Cidr": "10.0.0.0/8", "Rule": 110, "AclVpc": "second"},  # VpcId
             resource="Acl", check=_acl_and_its_children_replaced),
        # The same rule number twice in one direction of one ACL: EC2's NetworkAclEntryAlreadyExists.
        Step(ROLLED_BACK, {"Action": "deny", "Cidr": "10.0.0.0/8", "Rule": 110, "AclVpc": "second",
                           "Duplicate": "yes"},
             reason="The network acl entry identified by 110 already exists."),
        Step(ROLLED_BACK, {"Action": "deny", "Cidr": "10.0.0.300/8", "Rule": 110, "AclVpc": "second"},
             reason="Value (10.0.0.300/8) for parameter cidrBlock is invalid. This is not a valid CIDR block."),
    ))


def test_a_network_acl_for_an_unknown_vpc_or_an_entry_for_an_unknown_acl_rolls_back_the_create(cfn, server):
    create_fails(cfn, server, "acl-novpc", NETWORK_ACL.replace("!If [FirstVpc, !Ref First, !Ref Second]",
                                                               "vpc-0123456789abcdef0"),
                 "The vpc ID 'vpc-0123456789abcdef0' does not exist")
    stray = ("Resources:\n  Entry:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: {NetworkAclId: "
             "acl-0123456789abcdef0, RuleNumber: 1, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}\n")
    create_fails(cfn, server, "acl-noacl", stray, "The networkAcl ID 'acl-0123456789abcdef0' does not exist")


SIDE_BY_SIDE = """
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.72.0.0/16}}
  Acl: {Type: AWS::EC2::NetworkAcl, Properties: {VpcId: !Ref Vpc}}
  Web: {Type: AWS::EC2::NetworkAclEntry, Properties: {NetworkAclId: !Ref Acl, RuleNumber: 120, Protocol: 6,
                                                      RuleAction: allow, CidrBlock: 0.0.0.0/0}}
  Copy: {Type: AWS::EC2::NetworkAclEntry, Properties: {NetworkAclId: !Ref Acl, RuleNumber: 120, Protocol: 17,
                                                       RuleAction: allow, CidrBlock: 0.0.0.0/0}}
"""


def test_two_entries_of_one_template_with_one_rule_number_roll_back_the_create(cfn, server):
    # Nothing orders Web and Copy: whichever is created second, or both at once (the lookup
    # sees creates in flight: tests/engine/test_recorded_resources.py), one is refused.
    create_fails(cfn, server, "acl-twins", SIDE_BY_SIDE, "The network acl entry identified by 120 already exists.")


# --- launch templates ------------------------------------------------------------------------------

LAUNCH_TEMPLATE = """
Parameters:
  Name: {Type: String, Default: e2e-web}
  Image: {Type: String, Default: cirros-0.6.2-x86_64-disk}
  Colour: {Type: String, Default: blue}
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateName: !Ref Name
      LaunchTemplateData: {ImageId: !Ref Image, InstanceType: t2.micro}
      TagSpecifications: [{ResourceType: launch-template, Tags: [{Key: colour, Value: !Ref Colour}]}]
Outputs:
  Ref: {Value: !Ref Template}
  Id: {Value: !GetAtt Template.LaunchTemplateId}
  Latest: {Value: !GetAtt Template.LatestVersionNumber}
  Default: {Value: !GetAtt Template.DefaultVersionNumber}
"""


def _versions(latest: str):
    def check(run: Run) -> None:
        out = run.outputs()
        assert re.fullmatch(r"lt-[0-9a-f]{17}", out["Ref"]) and out["Id"] == out["Ref"] == run.physical_id("Template")
        # CloudFormation makes a new version for a data change; the default stays 1.
        assert (out["Latest"], out["Default"]) == (latest, "1")
    return check


def _template_first_version(run: Run) -> None:
    _versions("1")(run)
    says_what_is_recorded(run, "Template", "AWS::EC2::LaunchTemplate")
    # A name is one template's: another stack asking for it fails as EC2 does, and changes nothing.
    create_fails(run.cfn, run.server, "lt-taken", LAUNCH_TEMPLATE, "Launch template name already in use.")


LAUNCH_TEMPLATE_LIFE = Scenario(
    "lt", LAUNCH_TEMPLATE, "Template", on_create=_template_first_version, steps=(
        Step(IN_PLACE, {"Image": "ubuntu-22.04"}, check=_versions("2")),
        Step(IN_PLACE, {"Image": "ubuntu-22.04", "Colour": "green"}, check=_versions("2")),  # tags: no version
        Step(REPLACED, {"Image": "ubuntu-22.04", "Name": "e2e-web-2"}, check=_versions("1")),  # a new name
        Step(ROLLED_BACK, {"Image": "ubuntu-22.04", "Name": "x"},
             reason="A launch template name must be between 3 and 128 characters"),
    ))


# --- IAM roles, policies and instance profiles ------------------------------------------------------

ROLES = """
Parameters:
  Path: {Type: String, Default: /app/}
  ProfilePath: {Type: String, Default: /}
  Action: {Type: String, Default: "s3:GetObject"}
  Effect: {Type: String, Default: Allow}
  Description: {Type: String, Default: read}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Path: !Ref Path
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]
      Policies:
        - PolicyName: inline
          PolicyDocument: {Statement: [{Effect: !Ref Effect, Action: !Ref Action, Resource: "*"}]}
  Policy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref Role]
      PolicyDocument: {Statement: [{Effect: Allow, Action: !Ref Action, Resource: "*"}]}
  Inline:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref Role
      PolicyName: inline-extra
      PolicyDocument: {Statement: [{Effect: Allow, Action: !Ref Action, Resource: "*"}]}
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Description: !Ref Description
      Roles: [!Ref Role]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: !Ref Action, Resource: "*"}]}
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties: {Path: !Ref ProfilePath, Roles: [!Ref Role]}
Outputs:
  RoleName: {Value: !Ref Role}
  RoleArn: {Value: !GetAtt Role.Arn}
  RoleId: {Value: !GetAtt Role.RoleId}
  PolicyRef: {Value: !Ref Policy}
  InlineRef: {Value: !Ref Inline}
  PolicyId: {Value: !GetAtt Policy.Id}
  ManagedRef: {Value: !Ref Managed}
  ManagedArn: {Value: !GetAtt Managed.PolicyArn}
  ManagedId: {Value: !GetAtt Managed.PolicyId}
  ManagedVersion: {Value: !GetAtt Managed.DefaultVersionId}
  Attachments: {Value: !GetAtt Managed.AttachmentCount}
  ProfileName: {Value: !Ref Profile}
  ProfileArn: {Value: !GetAtt Profile.Arn}
"""


def _iam_values(path: str, profile_path: str, version: str):
    def check(run: Run) -> None:
        out, account = run.outputs(), account_of(run)
        role, profile = out["RoleName"], out["ProfileName"]
        assert role == run.physical_id("Role") and role.startswith("roles-Role-")
        assert out["RoleArn"] == f"arn:aws:iam::{account}:role{path}{role}"
        assert re.fullmatch(r"AROA[0-9A-Z]{17}", out["RoleId"])
        assert out["PolicyRef"] == out["PolicyId"] == run.physical_id("Policy")
        assert out["InlineRef"] == f"inline-extra|{role}"  # a role policy follows its role
        managed_name = out["ManagedRef"].rsplit("/", 1)[1]
        assert out["ManagedRef"] == out["ManagedArn"] == f"arn:aws:iam::{account}:policy/{managed_name}"
        assert re.fullmatch(r"ANPA[0-9A-Z]{17}", out["ManagedId"])
        assert (out["ManagedVersion"], out["Attachments"]) == (version, "1")
        assert out["ProfileArn"] == f"arn:aws:iam::{account}:instance-profile{profile_path}{profile}"
    return check


def _iam_created(run: Run) -> None:
    _iam_values("/app/", "/", "v1")(run)
    for logical_id, type_name in (("Role", "AWS::IAM::Role"), ("Policy", "AWS::IAM::Policy"),
                                  ("Inline", "AWS::IAM::RolePolicy"), ("Managed", "AWS::IAM::ManagedPolicy"),
                                  ("Profile", "AWS::IAM::InstanceProfile")):
        says_what_is_recorded(run, logical_id, type_name)
    run.notes["policy"], run.notes["managed"] = run.physical_id("Policy"), run.physical_id("Managed")


def _policies_updated_in_place(run: Run) -> None:
    assert (run.physical_id("Policy"), run.physical_id("Managed")) == (run.notes["policy"], run.notes["managed"])


ROLES_LIFE = Scenario(
    "roles", ROLES, "Role", capabilities=("CAPABILITY_IAM",), on_create=_iam_created, steps=(
        # Every document changes in place; the managed policy's new document is its version v2.
        Step(IN_PLACE, {"Action": "s3:PutObject"}, check=_iam_values("/app/", "/", "v2")),
        Step(REPLACED, {"Action": "s3:PutObject", "Description": "write"}, resource="Managed",  # createOnly
             check=_iam_values("/app/", "/", "v1")),
        Step(REPLACED, {"Action": "s3:PutObject", "Description": "write", "Path": "/ops/"},  # Path: createOnly
             check=_iam_values("/ops/", "/", "v1")),
        Step(REPLACED, {"Action": "s3:PutObject", "Description": "write", "Path": "/ops/", "ProfilePath": "/p/"},
             resource="Profile", check=_iam_values("/ops/", "/p/", "v1")),
        Step(ROLLED_BACK, {"Action": "s3:PutObject", "Description": "write", "Path": "/ops/", "ProfilePath": "/p/",
                           "Effect": "Permit"},
             reason="Syntax errors in policy. (inline)", check=_iam_values("/ops/", "/p/", "v1")),
    ))


TRUST = '{Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}'


def test_iam_failures_roll_back_the_create_with_iams_messages(cfn, server):
    lonely = ("Resources:\n  Policy: {Type: AWS::IAM::Policy, Properties: {PolicyName: p, PolicyDocument: "
              '{Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}}}\n')
    create_fails(cfn, server, "iam-lonely", lonely, "At least one of [Groups,Roles,Users] must be non-empty.",
                 ("CAPABILITY_IAM",))
    orphan = "Resources:\n  Profile: {Type: AWS::IAM::InstanceProfile, Properties: {Roles: [nobody]}}\n"
    create_fails(cfn, server, "iam-orphan", orphan, "The role with name nobody cannot be found.", ("CAPABILITY_IAM",))
    principal = (f"Resources:\n  Role: {{Type: AWS::IAM::Role, Properties: {{AssumeRolePolicyDocument: {TRUST}}}}}\n"
                 "  Policy: {Type: AWS::IAM::Policy, Properties: {PolicyName: p, Roles: [!Ref Role], PolicyDocument: "
                 '{Statement: [{Effect: Allow, Principal: "*", Action: "s3:*", Resource: "*"}]}}}\n')
    create_fails(cfn, server, "iam-principal", principal, "Policy document should not specify a principal. (p)",
                 ("CAPABILITY_IAM",))
    named = f"Resources:\n  A: {{Type: AWS::IAM::Role, Properties: {{RoleName: twin, AssumeRolePolicyDocument: {TRUST}}}}}\n"
    cfn.create_stack(StackName="iam-twin", TemplateBody=named, Capabilities=["CAPABILITY_NAMED_IAM"])
    wait(cfn, "iam-twin", "stack_create_complete")
    create_fails(cfn, server, "iam-twin-2", named, "Role with name twin already exists.", ("CAPABILITY_NAMED_IAM",))
    cfn.delete_stack(StackName="iam-twin")
    wait(cfn, "iam-twin", "stack_delete_complete")


# --- IAM users and access keys -----------------------------------------------------------------------

USER_AND_KEY = """
Parameters:
  Serial: {Type: Number, Default: 1}
  Status: {Type: String, Default: Active}
  UserPath: {Type: String, Default: /}
  Effect: {Type: String, Default: Allow}
  Name: {Type: String, Default: ""}
Conditions:
  Named: !Not [!Equals [!Ref Name, ""]]
Resources:
  User:
    Type: AWS::IAM::User
    Properties:
      UserName: !If [Named, !Ref Name, !Ref AWS::NoValue]
      Path: !Ref UserPath
      Policies: [{PolicyName: read, PolicyDocument: {Statement: [{Effect: !Ref Effect, Action: "cloudformation:Describe*",
                                                                   Resource: "*"}]}}]
  Key:
    Type: AWS::IAM::AccessKey
    Properties: {UserName: !Ref User, Serial: !Ref Serial, Status: !Ref Status}
Outputs:
  UserName: {Value: !Ref User}
  UserArn: {Value: !GetAtt User.Arn}
  KeyId: {Value: !Ref Key}
  Secret: {Value: !GetAtt Key.SecretAccessKey}
"""


def _signs(run: Run, key_id: str, secret: str) -> bool:
    """Whether the key signs a request this server accepts (cfnapi's own credential store)."""
    cloudwatch = client("cloudwatch", run.server.endpoint, access_key=key_id, secret_key=secret)
    try:
        cloudwatch.list_metrics()
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidClientTokenId", error.response
        return False
    return True


def _user_values(path: str, key_signs: bool, name: str = "users-User-"):
    def check(run: Run) -> None:
        out = run.outputs()
        assert out["UserName"] == run.physical_id("User") and out["UserName"].startswith(name)
        assert out["UserArn"] == f"arn:aws:iam::{account_of(run)}:user{path}{out['UserName']}"
        assert out["KeyId"] == run.physical_id("Key")
        assert _signs(run, out["KeyId"], out["Secret"]) is key_signs
        run.notes.setdefault("keys", []).append((out["KeyId"], out["Secret"]))
    return check


def _old_key_deleted(run: Run, name: str = "users-User-") -> None:
    _user_values("/ops/", True, name)(run)
    (old_id, old_secret), (new_id, _) = run.notes["keys"][-2:]
    assert old_id != new_id and not _signs(run, old_id, old_secret)


def _renamed_user_and_its_new_key(run: Run) -> None:
    _old_key_deleted(run, "e2e-user")  # the key's UserName (createOnly) changed with the user


def _user_created(run: Run) -> None:
    _user_values("/", True)(run)
    says_what_is_recorded(run, "User", "AWS::IAM::User")


USER_LIFE = Scenario(
    "users", USER_AND_KEY, "Key", capabilities=("CAPABILITY_NAMED_IAM",), on_create=_user_created, steps=(
        Step(IN_PLACE, {"Status": "Inactive"}, check=_user_values("/", False)),  # an inactive key signs nothing
        Step(IN_PLACE, {"UserPath": "/ops/"}, resource="User", check=_user_values("/ops/", True)),
        Step(REPLACED, {"UserPath": "/ops/", "Serial": 2}, check=_old_key_deleted),  # Serial: a new key
        Step(REPLACED, {"UserPath": "/ops/", "Serial": 2, "Name": "e2e-user"}, resource="User",  # UserName
             check=_renamed_user_and_its_new_key),
        Step(ROLLED_BACK, {"UserPath": "/ops/", "Serial": 2, "Name": "e2e-user", "Effect": "Permit"},
             reason="Syntax errors in policy. (read)", check=_user_values("/ops/", True, "e2e-user")),
    ))


def test_an_access_key_for_an_unknown_user_rolls_back_the_create(cfn, server):
    template = "Resources:\n  Key: {Type: AWS::IAM::AccessKey, Properties: {UserName: nobody}}\n"
    create_fails(cfn, server, "key-nouser", template, "The user with name nobody cannot be found.",
                 ("CAPABILITY_IAM",))


# --- internet gateways and their attachments -----------------------------------------------------------

GATEWAYS = """
Parameters:
  Colour: {Type: String, Default: blue}
  Gateway: {Type: String, Default: first, AllowedValues: [first, second]}
  Network: {Type: String, Default: first, AllowedValues: [first, second]}
  Steal: {Type: String, Default: "no"}
Conditions:
  FirstGateway: !Equals [!Ref Gateway, first]
  FirstNetwork: !Equals [!Ref Network, first]
  Stealing: !Equals [!Ref Steal, "yes"]
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.80.0.0/16}}
  Other: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.81.0.0/16}}
  First: {Type: AWS::EC2::InternetGateway, Properties: {Tags: [{Key: colour, Value: !Ref Colour}]}}
  Second: {Type: AWS::EC2::InternetGateway}
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties:
      VpcId: !If [FirstNetwork, !Ref Vpc, !Ref Other]
      InternetGatewayId: !If [FirstGateway, !Ref First, !Ref Second]
  Thief:
    Type: AWS::EC2::VPCGatewayAttachment
    Condition: Stealing
    DependsOn: Attach
    Properties:
      VpcId: !If [FirstNetwork, !Ref Other, !Ref Vpc]
      InternetGatewayId: !If [FirstGateway, !Ref First, !Ref Second]
Outputs:
  Gateway: {Value: !Ref First}
  GatewayId: {Value: !GetAtt First.InternetGatewayId}
  Attachment: {Value: !Ref Attach}
  AttachmentType: {Value: !GetAtt Attach.AttachmentType}
"""


def _gateway_set_on(vpc_logical_id: str):
    """Only the attached VPC's router has the external gateway (an address from the pool)."""
    def check(run: Run) -> None:
        routers = {r["name"]: r for r in run.inventory()["routers"]}
        for logical_id in ("Vpc", "Other"):
            router = routers[router_name(run.physical_id(logical_id))]
            assert bool(router["external_ip"]) is (logical_id == vpc_logical_id), (logical_id, router)
        out = run.outputs()
        assert out["Attachment"] == f"IGW|{run.physical_id(vpc_logical_id)}" == run.physical_id("Attach")
        assert out["AttachmentType"] == "InternetGateway"
    return check


def _gateway_created(run: Run) -> None:
    out = run.outputs()
    assert re.fullmatch(r"igw-[0-9a-f]{17}", out["Gateway"]) and out["GatewayId"] == out["Gateway"]
    says_what_is_recorded(run, "First", "AWS::EC2::InternetGateway")
    _gateway_set_on("Vpc")(run)


def _gateway_kept(run: Run) -> None:
    _gateway_set_on("Vpc")(run)
    assert run.physical_id("First") == run.seen["First"][0]


GATEWAY_LIFE = Scenario(
    "gateways", GATEWAYS, "First", on_create=_gateway_created, steps=(
        Step(IN_PLACE, {"Colour": "green"}, check=_gateway_kept),  # tags: in place (AWS has no createOnly here)
        Step(IN_PLACE, {"Colour": "green", "Gateway": "second"}, resource="Attach", check=_gateway_kept),
        Step(REPLACED, {"Colour": "green", "Network": "second"}, resource="Attach",  # VpcId: createOnly
             check=_gateway_set_on("Other")),
        # One internet gateway, one VPC: attaching it to a second one is refused as EC2 refuses it.
        Step(ROLLED_BACK, {"Colour": "green", "Network": "second", "Steal": "yes"},
             reason="is already attached to network", check=_gateway_set_on("Other")),
    ))


@pytest.mark.parametrize("scenario", [ACL_LIFE, LAUNCH_TEMPLATE_LIFE, ROLES_LIFE, USER_LIFE, GATEWAY_LIFE], ids=str)
def test_update_in_place_replacement_and_natural_failure_roll_back_and_delete_to_the_seed(cfn, server, scenario):
    run_scenario(cfn, server, scenario)
