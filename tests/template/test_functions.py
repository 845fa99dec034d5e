"""Table tests: every intrinsic function and pseudo parameter, resolved through a whole template."""

from __future__ import annotations

import base64
import textwrap

import pytest

from cfnapi.template import TemplateError, parse_template
from tests.template.helpers import resolve_property

PREAMBLE = """\
Parameters:
  Env: {Type: String, Default: prod}
  Ports: {Type: CommaDelimitedList, Default: "80,443"}
  Count: {Type: Number, Default: 2}
  Cidr: {Type: String, Default: 10.0.0.0/16}
Mappings:
  RegionMap:
    eu-west-1: {Ami: ami-eu, Zones: [a, b]}
    us-east-1: {Ami: ami-us}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  Other:
    Type: AWS::SNS::Topic
  R:
    Type: AWS::S3::Bucket
    Properties:
      P: {expr}
"""


def body(expression: str) -> str:
    return PREAMBLE.replace("{expr}", expression)


CASES = [
    # Ref: parameters (typed), resources, pseudo parameters
    ("!Ref Env", "prod"),
    ("!Ref Ports", ["80", "443"]),
    ("!Ref Count", "2"),
    ("!Ref Other", "Other-phys"),
    ("{Ref: Other}", "Other-phys"),
    ("!Ref AWS::AccountId", "123456789012"),
    ("!Ref AWS::Region", "eu-west-1"),
    ("!Ref AWS::StackName", "demo"),
    ("!Ref AWS::StackId", "arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/abc"),
    ("!Ref AWS::Partition", "aws"),
    ("!Ref AWS::URLSuffix", "amazonaws.com"),
    ("!Ref AWS::NotificationARNs", ["arn:aws:sns:eu-west-1:123456789012:topic"]),
    ("!Ref AWS::NoValue", "<removed>"),
    # GetAtt: both short forms, long form, first-dot split
    ("!GetAtt Other.TopicName", "Other.TopicName"),
    ("!GetAtt [Other, TopicName]", "Other.TopicName"),
    ("!GetAtt Other.Outputs.Url", "Other.Outputs.Url"),
    ("{'Fn::GetAtt': [Other, TopicArn]}", "Other.TopicArn"),
    ("!GetAtt [Other, !Ref Env]", "Other.prod"),
    # Join, nested with Ref lists and GetAZs
    ("!Join ['-', [a, !Ref Env, !Ref AWS::Region]]", "a-prod-eu-west-1"),
    ("!Join [',', !Ref Ports]", "80,443"),
    ("!Join ['', []]", ""),
    ("!Join [':', !GetAZs '']", "eu-west-1a:eu-west-1b:eu-west-1c"),
    ("!Join ['-', [a, !Ref AWS::NoValue, b]]", "a-b"),
    # Sub: one-argument, map form, literals, attributes, pseudo
    ("!Sub '${Env}-${AWS::Region}'", "prod-eu-west-1"),
    ("!Sub 'arn:${AWS::Partition}:s3:::${Other}'", "arn:aws:s3:::Other-phys"),
    ("!Sub '${Other.TopicName}!'", "Other.TopicName!"),
    ("!Sub '${!Literal} ${Env}'", "${Literal} prod"),
    ("!Sub ['${A}-${B}', {A: x, B: !Ref Env}]", "x-prod"),
    ("!Sub ['${Env}', {Env: overridden}]", "overridden"),
    ("!Sub 'plain text'", "plain text"),
    ("!Sub '${ Env }'", "prod"),
    # Select / Split
    ("!Select [1, !Ref Ports]", "443"),
    ("!Select ['0', [x, y]]", "x"),
    ("!Select [0, !GetAZs '']", "eu-west-1a"),
    ("!Select [2, !Split [',', 'a,b,c']]", "c"),
    ("!Split ['|', 'a|b||c']", ["a", "b", "", "c"]),
    ("!Split [',', !Join [',', [x, y]]]", ["x", "y"]),
    # FindInMap, with a function as key and the LanguageExtensions default
    ("!FindInMap [RegionMap, !Ref AWS::Region, Ami]", "ami-eu"),
    ("!FindInMap [RegionMap, eu-west-1, Zones]", ["a", "b"]),
    ("!FindInMap [RegionMap, ap-south-1, Ami, {DefaultValue: fallback}]", "fallback"),
    # Base64
    ("!Base64 hello", base64.b64encode(b"hello").decode()),
    ("!Base64 {'Fn::Sub': '${Env}'}", base64.b64encode(b"prod").decode()),
    # GetAZs
    ("!GetAZs ''", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("!GetAZs {Ref: AWS::Region}", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("!GetAZs us-west-2", []),
    # If / conditions
    ("!If [IsProd, big, small]", "big"),
    ("!If [IsDev, big, small]", "small"),
    ("!If [IsDev, big, !Ref AWS::NoValue]", "<removed>"),
    ("[a, !If [IsDev, b, !Ref AWS::NoValue], c]", ["a", "c"]),
    ("{Keep: 1, Drop: !If [IsProd, !Ref AWS::NoValue, 2]}", {"Keep": 1}),
    ("!If [IsProd, !If [IsDev, x, y], z]", "y"),
    # ImportValue
    ("!ImportValue shared-vpc", "vpc-123"),
    ("!ImportValue {'Fn::Sub': 'shared-${Env}'}", KeyError),
    # Cidr, exactly as AWS
    ("!Cidr [10.0.0.0/16, 3, 8]", ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
    ("!Cidr [!Ref Cidr, 2, 12]", ["10.0.0.0/20", "10.0.16.0/20"]),
    ("!Cidr ['192.168.0.0/24', '4', '6']", ["192.168.0.0/26", "192.168.0.64/26", "192.168.0.128/26", "192.168.0.192/26"]),
    ("!Cidr ['2001:db8::/56', 2, 64]", ["2001:db8::/64", "2001:db8:0:1::/64"]),
    ("!Select [1, !Cidr [!Ref Cidr, 2, 8]]", "10.0.1.0/24"),
    # Language extensions
    ("{'Fn::Length': [a, b, c]}", 3),
    ("{'Fn::Length': !Ref Ports}", 2),
    ("{'Fn::ToJsonString': {a: !Ref Env, b: [1, 2]}}", '{"a":"prod","b":[1,2]}'),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[case[0] for case in CASES])
def test_function_resolves(expression: str, expected: object) -> None:
    if isinstance(expected, type):
        with pytest.raises(expected):
            resolve_property(body(expression))
    else:
        assert resolve_property(body(expression)) == expected


_SUB_NAMES = (
    "Template error: variable names in Fn::Sub syntax must contain only alphanumeric characters, "
    "underscores, periods, and colons"
)
ERROR_CASES = [
    # parse-time shape and reference errors
    ("!Ref Nope", "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"),
    ("{Ref: [a]}", "Template format error: Every Ref object must have a single String value."),
    ("!GetAtt Nope.Arn", "Template error: instance of Fn::GetAtt references undefined resource Nope"),
    ("!GetAtt [Other]", "Template error: every Fn::GetAtt object requires two non-empty parameters"),
    ("!GetAtt Other", "Template error: every Fn::GetAtt object requires two non-empty parameters"),
    ("!Sub '${Nope}'", "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"),
    ("!Sub '${Nope.Arn}'", "Template error: instance of Fn::Sub references invalid resource attribute Nope.Arn"),
    ("!Sub [a, b, c]", "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments."),
    ("!Join [',']", "Template error: every Fn::Join object requires two parameters"),
    ("!Join [',', abc]", "Template error: every Fn::Join object requires two parameters"),
    ("!Select [0]", "Template error: Fn::Select requires a list argument with two elements"),
    ("!Split [',']", "Template error: every Fn::Split object requires two parameters"),
    ("!FindInMap [RegionMap, eu-west-1]", "Template error: every Fn::FindInMap object requires three parameters"),
    ("!FindInMap [NoMap, a, b]", "Template error: Mapping named 'NoMap' is not present in the 'Mappings' section of template."),
    ("!FindInMap [!Ref Env, a, b]", "Template error: Mapping named 'prod' is not present in the 'Mappings' section of template."),
    ("!Sub '${a-b}'", _SUB_NAMES),
    ("!Sub '${Param Name}'", _SUB_NAMES),
    ("!Sub '${ }'", _SUB_NAMES),
    ("!Sub ['${a/b}', {'a/b': x}]", _SUB_NAMES),
    ("!Select [5, [a, b]]", "Template error: Fn::Select cannot select nonexistent value at index 5"),
    ("!Select ['-1', [a, b]]", "Template error: Fn::Select cannot select nonexistent value at index -1"),
    ("!Base64 [a]", "Template error: every Fn::Base64 object must contain a String"),
    ("!If [Unknown, a, b]", "Template error: unresolved condition dependency Unknown in Fn::If"),
    ("!If [IsProd, a]", "Template error: every Fn::If object requires three parameters"),
    ("!Cidr [10.0.0.0/16, 3]", "Template error: Fn::Cidr requires a list of three parameters"),
    ("{'Fn::Bogus': x}", "Template error: Encountered unsupported function: Fn::Bogus"),
    ("!ImportValue {'Fn::GetAtt': [Other, Arn]}", "Template error: the attribute in Fn::ImportValue must not depend on any resources"),
    # resolve-time errors
    ("!Select [2, !Ref Ports]", "Template error: Fn::Select cannot select nonexistent value at index 2"),
    ("!Select [x, [a, b]]", "Template error: Fn::Select requires a list argument with two elements"),
    ("!FindInMap [RegionMap, ap-south-1, Ami]", "Template error: Unable to get mapping for RegionMap::ap-south-1::Ami"),
    ("!Sub '${Ports}'", "Template error: variable Ports in Fn::Sub expression does not resolve to a string"),
    ("!Cidr [10.0.0.0/24, 3, 8]", "Template error: Fn::Cidr cannot create 3 subnets of /24 in 10.0.0.0/24"),
    ("!Cidr [10.0.0.0/24, 300, 2]", "Template error: Fn::Cidr count must be between 1 and 256"),
    ("!Cidr [10.0.0.0/24, 1, 9]", "Template error: Fn::Cidr cidrBits 9 is invalid for ipBlock 10.0.0.0/24"),
    ("!Cidr [not-a-cidr, 1, 8]", "Template error: Fn::Cidr ipBlock not-a-cidr is not a valid CIDR block"),
]


@pytest.mark.parametrize(("expression", "message"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES])
def test_function_error(expression: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        resolve_property(body(expression))
    assert caught.value.message.startswith(message)
    assert caught.value.code == "ValidationError" and caught.value.status == 400


@pytest.mark.parametrize(
    "expression",
    ["!Select [5, [a, b]]", "!Sub '${a-b}'", "!FindInMap [NoMap, a, b]"],
)
def test_literal_mistakes_are_found_before_any_value_is_known(expression: str) -> None:
    # ValidateTemplate sees these: parsing alone (no parameters, no stack) raises.
    with pytest.raises(TemplateError):
        parse_template(body(expression))


def test_sub_in_outputs_and_conditions_cannot_reach_resources_in_conditions() -> None:
    template = textwrap.dedent("""\
        Conditions:
          Bad: !Equals [!Ref Other, x]
        Resources:
          Other: {Type: AWS::SNS::Topic}
    """)
    with pytest.raises(TemplateError) as caught:
        resolve_property(template, resource="Other")
    assert caught.value.message == (
        "Template format error: Unresolved dependencies [Other]. Cannot reference resources in the "
        "Conditions block of the template"
    )
