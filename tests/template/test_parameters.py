"""Parameter types, constraints, defaults, SSM, NoEcho masking and Rules — with AWS's wording."""

from __future__ import annotations

import pytest

from cfnapi.template import TemplateError, parse_template, resolve_parameters


class Lookup:
    """A cloud with one key pair, one VPC, two subnets and two availability zones."""

    known = {
        "AWS::EC2::KeyPair::KeyName": {"mykey"},
        "AWS::EC2::VPC::Id": {"vpc-1"},
        "AWS::EC2::Subnet::Id": {"subnet-1", "subnet-2"},
        "AWS::EC2::AvailabilityZone::Name": {"az-1", "az-2"},
        "AWS::EC2::Image::Id": {"ami-resolved"},
    }

    def exists(self, parameter_type: str, value: str) -> bool:
        return value in self.known.get(parameter_type, set())

    def availability_zones(self, region: str) -> list[str]:
        return ["az-1", "az-2"]


class Store:
    values = {
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64": "ami-resolved",
        "/app/subnets": "subnet-1,subnet-2",
        "/app/name": "hello",
    }

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def template_with(parameters: str, rules: str = "") -> object:
    return parse_template(f"Parameters:\n{parameters}\n{rules}Resources:\n  R: {{Type: AWS::SNS::Topic}}\n")


def resolve_one(definition: str, value: str | None, **kwargs: object) -> object:
    template = template_with(f"  P: {definition}")
    supplied = {} if value is None else {"P": value}
    return resolve_parameters(template, supplied, **kwargs).values["P"]


VALUE_CASES = [
    ("{Type: String}", "abc", "abc"),
    ("{Type: String, Default: d}", None, "d"),
    ("{Type: Number, Default: 3}", None, "3"),
    ("{Type: Number}", "-1.5", "-1.5"),
    ("{Type: List<Number>}", "1, 2,3", ["1", "2", "3"]),
    ("{Type: CommaDelimitedList}", "a,b , c", ["a", "b", "c"]),
    ("{Type: CommaDelimitedList, Default: [x, y]}", None, ["x", "y"]),
    ("{Type: CommaDelimitedList}", "", []),
    ("{Type: AWS::EC2::KeyPair::KeyName}", "mykey", "mykey"),
    ("{Type: AWS::EC2::VPC::Id}", "vpc-1", "vpc-1"),
    ("{Type: List<AWS::EC2::Subnet::Id>}", "subnet-1,subnet-2", ["subnet-1", "subnet-2"]),
    ("{Type: List<AWS::EC2::AvailabilityZone::Name>}", "az-1", ["az-1"]),
    ("{Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64}", None, "ami-resolved"),
    ("{Type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>'}", "/app/subnets", ["subnet-1", "subnet-2"]),
    ("{Type: 'AWS::SSM::Parameter::Value<String>'}", "/app/name", "hello"),
    ("{Type: 'AWS::SSM::Parameter::Value<CommaDelimitedList>'}", "/app/subnets", ["subnet-1", "subnet-2"]),
    ("{Type: AWS::SSM::Parameter::Name}", "/app/name", "/app/name"),
    ("{Type: String, AllowedValues: [a, b]}", "b", "b"),
    ("{Type: String, AllowedPattern: '[a-z]+'}", "abc", "abc"),
    ("{Type: String, MinLength: 2, MaxLength: 3}", "abc", "abc"),
    ("{Type: Number, MinValue: 1, MaxValue: 10}", "10", "10"),
    ("{Type: CommaDelimitedList, AllowedValues: [a, b]}", "a,b", ["a", "b"]),
]


@pytest.mark.parametrize(("definition", "value", "expected"), VALUE_CASES)
def test_parameter_values(definition: str, value: str | None, expected: object) -> None:
    assert resolve_one(definition, value, lookup=Lookup(), ssm=Store()) == expected


ERROR_CASES = [
    ("{Type: Number}", "abc", "Parameter 'P' must be a number"),
    ("{Type: List<Number>}", "1,x", "Parameter 'P' must be a number"),
    ("{Type: String, AllowedValues: [a, b]}", "c", "Parameter 'P' must be one of AllowedValues"),
    ("{Type: String, AllowedPattern: '[a-z]+'}", "abc1", "Parameter 'P' must match pattern [a-z]+"),
    ("{Type: String, MinLength: 2}", "a", "Parameter 'P' must contain at least 2 characters"),
    ("{Type: String, MaxLength: 3}", "abcd", "Parameter 'P' must contain at most 3 characters"),
    ("{Type: Number, MinValue: 5}", "4", "Parameter 'P' must be a number not less than 5"),
    ("{Type: Number, MaxValue: 1024}", "2048", "Parameter 'P' must be a number not greater than 1024"),
    ("{Type: Number, MaxValue: 1.5}", "2", "Parameter 'P' must be a number not greater than 1.5"),
    ("{Type: String, MinLength: 1, ConstraintDescription: must not be empty}", "",
     "Parameter P failed to satisfy constraint: must not be empty"),
    ("{Type: String, AllowedPattern: '\\d+', ConstraintDescription: digits only}", "x",
     "Parameter P failed to satisfy constraint: digits only"),
    ("{Type: CommaDelimitedList, AllowedValues: [a, b]}", "a,c", "Parameter 'P' must be one of AllowedValues"),
    ("{Type: AWS::EC2::KeyPair::KeyName}", "other",
     "Parameter validation failed: parameter value other for parameter name P does not exist."),
    ("{Type: List<AWS::EC2::Subnet::Id>}", "subnet-1,subnet-9",
     "Parameter validation failed: parameter value subnet-9 for parameter name P does not exist."),
    ("{Type: 'AWS::SSM::Parameter::Value<String>'}", "/missing",
     "Unable to fetch parameters [/missing] from parameter store for this account."),
    ("{Type: AWS::SSM::Parameter::Name}", "/missing",
     "Parameter validation failed: parameter value /missing for parameter name P does not exist."),
    ("{Type: String}", None, "Parameters: [P] must have values"),
]


@pytest.mark.parametrize(("definition", "value", "message"), ERROR_CASES)
def test_parameter_errors(definition: str, value: str | None, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        resolve_one(definition, value, lookup=Lookup(), ssm=Store())
    assert caught.value.message == message


def test_missing_values_are_listed_together_and_unknown_names_rejected() -> None:
    template = template_with("  A: {Type: String}\n  B: {Type: String, Default: x}\n  C: {Type: Number}")
    with pytest.raises(TemplateError) as caught:
        resolve_parameters(template, {})
    assert caught.value.message == "Parameters: [A, C] must have values"
    with pytest.raises(TemplateError) as caught:
        resolve_parameters(template, {"A": "1", "C": "2", "Zed": "3"})
    assert caught.value.message == "Parameters: [Zed] do not exist in the template"


def test_use_previous_value_wins_over_default_and_loses_to_supplied() -> None:
    template = template_with("  A: {Type: String, Default: d}\n  B: {Type: String, Default: d}")
    resolved = resolve_parameters(template, {"B": "new"}, use_previous={"A": "old", "B": "old"})
    assert resolved.values == {"A": "old", "B": "new"}


def test_no_echo_values_are_masked_in_responses_and_repr() -> None:
    template = template_with(
        "  Password: {Type: String, NoEcho: true}\n  User: {Type: String}\n"
        "  Image: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /app/name}"
    )
    resolved = resolve_parameters(template, {"Password": "s3cret", "User": "bob"}, ssm=Store())
    assert resolved.values["Password"] == "s3cret"
    assert resolved.for_response() == [
        {"ParameterKey": "Password", "ParameterValue": "****"},
        {"ParameterKey": "User", "ParameterValue": "bob"},
        {"ParameterKey": "Image", "ParameterValue": "/app/name", "ResolvedValue": "hello"},
    ]
    assert "s3cret" not in repr(resolved)


RULES = """\
Rules:
  ProdNeedsLarge:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[m5.large, m5.xlarge], !Ref Size]
        AssertDescription: For production, use a large instance type
  SubnetsInVpc:
    Assertions:
      - Assert: !EachMemberIn [!Ref Subnets, [subnet-1, subnet-2]]
      - Assert: {'Fn::Not': [{'Fn::EachMemberEquals': [!RefAll 'List<AWS::EC2::Subnet::Id>', subnet-0]}]}
        AssertDescription: subnet-0 alone is not allowed
"""


@pytest.mark.parametrize(
    ("supplied", "message"),
    [
        ({"Env": "dev", "Size": "t3.micro", "Subnets": "subnet-1"}, None),
        ({"Env": "prod", "Size": "m5.large", "Subnets": "subnet-1,subnet-2"}, None),
        ({"Env": "prod", "Size": "t3.micro", "Subnets": "subnet-1"}, "For production, use a large instance type"),
        ({"Env": "dev", "Size": "t3.micro", "Subnets": "subnet-7"}, "Template error: rule SubnetsInVpc assertion failed"),
        ({"Env": "dev", "Size": "t3.micro", "Subnets": "subnet-0"}, "Template error: rule SubnetsInVpc assertion failed"),
    ],
)
def test_rules(supplied: dict[str, str], message: str | None) -> None:
    template = template_with(
        "  Env: {Type: String}\n  Size: {Type: String}\n  Subnets: {Type: List<AWS::EC2::Subnet::Id>}", RULES
    )
    if message is None:
        resolve_parameters(template, supplied)
        return
    with pytest.raises(TemplateError) as caught:
        resolve_parameters(template, supplied)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("{Default: x}", "Template format error: Every Parameters object must contain a Type member."),
        ("{Type: Strin}", "Template format error: Unrecognized parameter type: Strin"),
        ("{Type: List<String>}", "Template format error: Unrecognized parameter type: List<String>"),
        ("{Type: String, Allowed: [a]}", "Template format error: Invalid template parameter property 'Allowed'"),
    ],
)
def test_parameter_definition_errors(definition: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        template_with(f"  P: {definition}")
    assert caught.value.message == message
