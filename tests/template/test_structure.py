"""Sections, resource attributes, dependencies, limits, capabilities and outputs."""

from __future__ import annotations

import json

import pytest

from cfnapi.handlers.cloudformation import CloudFormationHandlers
from cfnapi.template import (
    TemplateError, check_against_types, check_resource_types, dependency_graph, dependency_order_check, evaluate_conditions,
    parse_template, required_capabilities, resolve_outputs, resolve_parameters,
)
from cfnapi.template_url import TemplateUrlPolicy
from tests.template.helpers import IDENTITY, FakeEnv

GRAPH = """\
Parameters:
  Name: {Type: String, Default: n}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: !Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 1, 8]]}
  Group:
    Type: AWS::EC2::SecurityGroup
    DependsOn: [Subnet]
    Properties: {GroupDescription: !Sub '${Name} in ${Vpc} ${AWS::Region}'}
  Server:
    Type: AWS::EC2::Instance
    DependsOn: Group
    Metadata: {Note: !GetAtt Subnet.AvailabilityZone}
    DeletionPolicy: Snapshot
    UpdateReplacePolicy: Retain
    CreationPolicy: {ResourceSignal: {Count: 1, Timeout: PT5M}}
    UpdatePolicy: {AutoScalingReplacingUpdate: {WillReplace: true}}
    Properties: {SecurityGroupIds: [!GetAtt Group.GroupId]}
Outputs:
  ServerId:
    Description: !Sub 'the server of ${AWS::StackName}'
    Value: !Ref Server
    Export: {Name: !Sub '${AWS::StackName}-server'}
  Zones: {Value: !GetAZs ''}
  Never: {Value: x, Condition: NeverTrue}
Conditions:
  NeverTrue: !Equals [a, b]
"""


def test_dependencies_from_ref_getatt_sub_dependson_and_metadata() -> None:
    template = parse_template(GRAPH)
    assert dependency_graph(template) == {
        "Vpc": frozenset(),
        "Subnet": {"Vpc"},
        "Group": {"Subnet", "Vpc"},
        "Server": {"Group", "Subnet"},
    }
    dependency_order_check(template)
    server = template.resources["Server"]
    assert server.depends_on == ("Group",)
    assert (server.deletion_policy, server.update_replace_policy) == ("Snapshot", "Retain")
    assert server.creation_policy == {"ResourceSignal": {"Count": 1, "Timeout": "PT5M"}}
    assert server.update_policy == {"AutoScalingReplacingUpdate": {"WillReplace": True}}


def test_outputs_resolve_with_conditions_and_exports() -> None:
    template = parse_template(GRAPH)
    params = resolve_parameters(template, {})
    conditions = evaluate_conditions(template, params, IDENTITY)
    outputs = resolve_outputs(template, FakeEnv(), params, conditions, IDENTITY)
    assert [(o.key, o.value, o.description, o.export_name) for o in outputs] == [
        ("ServerId", "Server-phys", "the server of demo", "demo-server"),
        ("Zones", "eu-west-1a,eu-west-1b,eu-west-1c", None, None),
    ]


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ("A: {Type: AWS::SNS::Topic, DependsOn: B}\n  B: {Type: AWS::SNS::Topic, DependsOn: A}",
         "Circular dependency between resources: [A, B]"),
        ("A: {Type: AWS::SNS::Topic, Properties: {X: !GetAtt C.Arn}}\n  B: {Type: AWS::SNS::Topic, Properties: {X: !Ref A}}\n"
         "  C: {Type: AWS::SNS::Topic, Properties: {X: !Sub '${B}'}}\n  D: {Type: AWS::SNS::Topic, DependsOn: A}",
         "Circular dependency between resources: [A, B, C, D]"),  # D depends on the cycle: AWS lists it too
        ("A: {Type: AWS::SNS::Topic, Properties: {X: !Ref A}}", "Circular dependency between resources: [A]"),
        ("Z: {Type: AWS::SNS::Topic}\n  A: {Type: AWS::SNS::Topic, Properties: {X: !Ref A}}\n"
         "  B: {Type: AWS::SNS::Topic, DependsOn: [Z, A]}\n  C: {Type: AWS::SNS::Topic, DependsOn: Z}",
         "Circular dependency between resources: [A, B]"),
    ],
)
def test_cycles_are_named(resources: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        dependency_order_check(parse_template(f"Resources:\n  {resources}\n"))
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: [Nope]}\n",
         "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"),
        ("Resources:\n  A: {Type: AWS::SNS::Topic}\nOutputs:\n  O: {Value: !Ref Nope}\n",
         "Template format error: Unresolved resource dependencies [Nope] in the Outputs block of the template"),
        ("Resources:\n  A: {Type: AWS::SNS::Topic}\nOutputs:\n  O: {Value: !GetAtt Nope.Arn}\n",
         "Template error: instance of Fn::GetAtt references undefined resource Nope"),
        ("Resources:\n  A: {Properties: {}}\n", "Template format error: Every Resources object must contain a Type member."),
        ("Resources:\n  A: {Type: AWS::SNS::Topic, Propertiess: {}}\n",
         "Template format error: Invalid template resource property 'Propertiess'"),
        ("Resources:\n  A-1: {Type: AWS::SNS::Topic}\n", "Template format error: Resource name A-1 is non alphanumeric."),
        ("Resources:\n  A: {Type: AWS::SNS::Topic, DeletionPolicy: Keep}\n",
         "Template format error: Unrecognized DeletionPolicy Keep for resource A"),
        ("Resources:\n  A: {Type: AWS::SNS::Topic}\nOutputs:\n  O: {Description: x}\n",
         "Template format error: Every Outputs member must contain a Value object"),
        ("Resources:\n  A: {Type: AWS::SNS::Topic}\nOutputs:\n  O: {Value: x, Condition: Nope}\n",
         "Template format error: Unresolved condition dependency Nope in the Outputs block of the template"),
        ("Resourcs:\n  A: {Type: AWS::SNS::Topic}\nResources:\n  A: {Type: AWS::SNS::Topic}\n",
         "Template format error: Invalid template property or properties [Resourcs]"),
        ("AWSTemplateFormatVersion: '2011-01-01'\nResources:\n  A: {Type: AWS::SNS::Topic}\n",
         "Template format error: Unsupported AWSTemplateFormatVersion 2011-01-01: the only valid version is 2010-09-09"),
        ("Parameters:\n  A: {Type: String}\nResources:\n  A: {Type: AWS::SNS::Topic}\n",
         "Template format error: Duplicate names [A] in Parameters and Resources blocks"),
        ("Mappings:\n  M: {a: b}\nResources:\n  A: {Type: AWS::SNS::Topic}\n",
         "Template format error: Mappings attribute M.a must be a mapping"),
    ],
)
def test_template_format_errors(body: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(body)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("section", "count", "message"),
    [
        ("Resources", 501, "Template format error: Number of resources, 501, is greater than maximum allowed, 500"),
        ("Parameters", 201, "Template format error: Number of parameters, 201, is greater than maximum allowed, 200"),
        ("Outputs", 201, "Template format error: Number of outputs, 201, is greater than maximum allowed, 200"),
        ("Mappings", 201, "Template format error: Number of mappings, 201, is greater than maximum allowed, 200"),
    ],
)
def test_section_limits(section: str, count: int, message: str) -> None:
    entries = {
        "Resources": lambda i: {"Type": "AWS::SNS::Topic"},
        "Parameters": lambda i: {"Type": "String"},
        "Outputs": lambda i: {"Value": "x"},
        "Mappings": lambda i: {"k": {"v": "x"}},
    }[section]
    data = {"Resources": {"R": {"Type": "AWS::SNS::Topic"}}}
    data[section] = {f"X{i}": entries(i) for i in range(count)}
    with pytest.raises(TemplateError) as caught:
        parse_template(json.dumps(data), max_bytes=1_048_576)
    assert caught.value.message == message
    data[section] = {f"X{i}": entries(i) for i in range(count - 1)}
    parse_template(json.dumps(data), max_bytes=1_048_576)


def test_unrecognized_resource_types_listed_together() -> None:
    template = parse_template(
        "Resources:\n  A: {Type: AWS::Foo::Bar}\n  B: {Type: AWS::SNS::Topic}\n  C: {Type: AWS::Baz::Qux}\n"
        "  D: {Type: AWS::Foo::Bar}\n  E: {Type: Custom::Thing}\n"
    )
    with pytest.raises(TemplateError) as caught:
        check_resource_types(template, {"AWS::SNS::Topic"})
    assert caught.value.message == "Template format error: Unrecognized resource types: [AWS::Foo::Bar, AWS::Baz::Qux]"
    check_resource_types(template, {"AWS::SNS::Topic", "AWS::Foo::Bar", "AWS::Baz::Qux"})


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ("A: {Type: AWS::SNS::Topic}", ([], "")),
        ("A: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {}}}",
         (["CAPABILITY_IAM"], "The following resource(s) require capabilities: [AWS::IAM::Role]")),
        ("A: {Type: AWS::IAM::Role, Properties: {RoleName: r}}\n  B: {Type: AWS::IAM::Policy}\n  C: {Type: AWS::IAM::Role}",
         (["CAPABILITY_NAMED_IAM"], "The following resource(s) require capabilities: [AWS::IAM::Role, AWS::IAM::Policy]")),
        ("A: {Type: AWS::IAM::User, Properties: {UserName: !Sub '${AWS::StackName}-u'}}",
         (["CAPABILITY_NAMED_IAM"], "The following resource(s) require capabilities: [AWS::IAM::User]")),
        ("A: {Type: AWS::IAM::InstanceProfile, Properties: {Roles: []}}",
         (["CAPABILITY_IAM"], "The following resource(s) require capabilities: [AWS::IAM::InstanceProfile]")),
    ],
)
def test_required_capabilities(resources: str, expected: tuple) -> None:
    assert required_capabilities(parse_template(f"Resources:\n  {resources}\n")) == expected


ATTRIBUTES = """\
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Nested: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: https://example.com/t}}
  Mine: {Type: Custom::Thing, Properties: {ServiceToken: x}}
  Server: {Type: AWS::EC2::Instance, Properties: {ImageId: ami-1}}
  User:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: {expr}
"""


@pytest.mark.parametrize(
    "expression",
    [
        "!GetAtt Topic.TopicArn", "!GetAtt Topic.TopicName", "!Sub '${Topic.TopicArn}-x'",
        "!GetAtt Nested.Outputs.Url", "!GetAtt Mine.Anything", "!GetAtt Server.AvailabilityZone",
        "!GetAtt Server.PrivateIp", "!Sub ['${Topic.Nope}', {Topic.Nope: local}]",
        "!GetAtt [Topic, !Ref AWS::Region]",  # not known before it runs: not judged
    ],
)
def test_get_att_of_an_attribute_the_type_has(expression: str) -> None:
    check_against_types(parse_template(ATTRIBUTES.replace("{expr}", expression)), _ALL_TYPES)


@pytest.mark.parametrize(
    ("expression", "resource", "attribute"),
    [
        ("!GetAtt Topic.Nope", "Topic", "Nope"),
        ("!Sub 'x-${Server.Colour}'", "Server", "Colour"),
        ("!GetAtt Nested.Url", "Nested", "Url"),
    ],
)
def test_get_att_of_an_attribute_the_type_lacks(expression: str, resource: str, attribute: str) -> None:
    with pytest.raises(TemplateError) as caught:
        check_against_types(parse_template(ATTRIBUTES.replace("{expr}", expression)), _ALL_TYPES)
    assert caught.value.message == (
        f"Template error: resource {resource} does not support attribute type {attribute} in Fn::GetAtt"
    )


def test_get_att_checks_outputs_and_accepts_the_servers_own_attributes() -> None:
    body = ATTRIBUTES.replace("{expr}", "t") + "Outputs:\n  O: {Value: !GetAtt Server.ConsoleUrl}\n"
    with pytest.raises(TemplateError, match="resource Server does not support attribute type ConsoleUrl"):
        check_against_types(parse_template(body), _ALL_TYPES)
    own = {"AWS::EC2::Instance": ("ConsoleUrl",)}
    check_against_types(parse_template(body), _ALL_TYPES, lambda kind: own.get(kind, ()))


def test_types_aws_does_not_publish_are_not_judged() -> None:
    body = "Resources:\n  S: {Type: Test::Engine::Sleeper}\n  T: {Type: AWS::SNS::Topic, Properties: {X: !GetAtt S.Whatever}}\n"
    check_against_types(parse_template(body), {"Test::Engine::Sleeper", "AWS::SNS::Topic"})


def test_validate_template_reports_cycles_and_attributes() -> None:
    handlers = CloudFormationHandlers(frozenset(_ALL_TYPES), TemplateUrlPolicy())
    cycle = "Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: B}\n  B: {Type: AWS::SNS::Topic, DependsOn: A}\n"
    with pytest.raises(TemplateError, match=r"^Circular dependency between resources: \[A, B\]$"):
        handlers.validate_template(None, {"TemplateBody": cycle})
    with pytest.raises(TemplateError, match="does not support attribute type Nope"):
        handlers.get_template_summary(None, {"TemplateBody": ATTRIBUTES.replace("{expr}", "!GetAtt Topic.Nope")})


_ALL_TYPES = {"AWS::SNS::Topic", "AWS::CloudFormation::Stack", "Custom::Thing", "AWS::EC2::Instance"}


@pytest.mark.parametrize("key", ["DeletionPolicy", "UpdateReplacePolicy"])
def test_snapshot_policy_only_on_types_aws_can_snapshot(key) -> None:
    from cfnapi.template.attributes import check_against_types

    supported = {"AWS::EC2::Volume", "AWS::SNS::Topic"}
    volume = parse_template(f"Resources:\n  V: {{Type: AWS::EC2::Volume, {key}: Snapshot}}\n")
    check_against_types(volume, supported)
    topic = parse_template(f"Resources:\n  T: {{Type: AWS::SNS::Topic, {key}: Snapshot}}\n")
    with pytest.raises(TemplateError) as caught:
        check_against_types(topic, supported)
    assert caught.value.message == (
        f"Template format error: Resource T: {key} Snapshot is not supported for resource type AWS::SNS::Topic"
    )
