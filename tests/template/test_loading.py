"""Loading JSON and YAML: short-form tags, YAML 1.1 scalars, strings for dates, duplicate keys, aliases, errors, limits."""

from __future__ import annotations

import json

import pytest

from cfnapi.template import TemplateError, parse_template, to_data
from cfnapi.template.loader import load_yaml

SHORT_FORMS = [
    ("!Ref X", {"Ref": "X"}),
    ("!GetAtt A.B", {"Fn::GetAtt": ["A", "B"]}),
    ("!GetAtt A.B.C", {"Fn::GetAtt": ["A", "B.C"]}),
    ("!GetAtt [A, B]", {"Fn::GetAtt": ["A", "B"]}),
    ("!Sub 'a${X}'", {"Fn::Sub": "a${X}"}),
    ("!Join [',', [a, b]]", {"Fn::Join": [",", ["a", "b"]]}),
    ("!Select [0, [a]]", {"Fn::Select": [0, ["a"]]}),
    ("!Split [',', a]", {"Fn::Split": [",", "a"]}),
    ("!If [C, a, b]", {"Fn::If": ["C", "a", "b"]}),
    ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
    ("!And [a, b]", {"Fn::And": ["a", "b"]}),
    ("!Or [a, b]", {"Fn::Or": ["a", "b"]}),
    ("!Not [a]", {"Fn::Not": ["a"]}),
    ("!Condition C", {"Condition": "C"}),
    ("!FindInMap [M, a, b]", {"Fn::FindInMap": ["M", "a", "b"]}),
    ("!Base64 x", {"Fn::Base64": "x"}),
    ("!Cidr [10.0.0.0/16, 2, 8]", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}),
    ("!GetAZs ''", {"Fn::GetAZs": ""}),
    ("!ImportValue x", {"Fn::ImportValue": "x"}),
    ("!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
     {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}),
    ("!Base64 {'Fn::Sub': x}", {"Fn::Base64": {"Fn::Sub": "x"}}),
    ("!Join ['', [!Ref A, !GetAtt B.C]]", {"Fn::Join": ["", [{"Ref": "A"}, {"Fn::GetAtt": ["B", "C"]}]]}),
    ("2010-09-09", "2010-09-09"),
    ("2012-10-17T10:00:00Z", "2012-10-17T10:00:00Z"),
]


@pytest.mark.parametrize(("yaml_text", "expected"), SHORT_FORMS, ids=[case[0] for case in SHORT_FORMS])
def test_short_form_tags_load_as_long_form(yaml_text: str, expected: object) -> None:
    assert load_yaml(f"V: {yaml_text}\n") == {"V": expected}


def test_yaml_and_json_give_the_same_definition() -> None:
    yaml_body = "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub '${AWS::StackName}-q'}}\n"
    json_body = json.dumps(
        {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-q"}}}}}
    )
    from_yaml, from_json = parse_template(yaml_body), parse_template(json_body)
    assert from_yaml.resources == from_json.resources
    assert from_yaml.body == yaml_body and from_json.body == json_body
    assert to_data(from_yaml.resources["Q"].properties) == {"QueueName": {"Fn::Sub": "${AWS::StackName}-q"}}


# YAML 1.1 scalars as CloudFormation's (YAML 1.1) parser reads them; dates are
# the exception CloudFormation makes: they stay the strings that were written.
YAML_1_1_SCALARS = [
    ("yes", True), ("No", False), ("ON", True), ("off", False), ("True", True), ("false", False),
    ("y", "y"), ("n", "n"), ('"yes"', "yes"),
    ("0755", 493), ("-0755", -493), ("0o755", "0o755"), ("08", "08"), ("0x1F", 31), ("1_000", 1000),
    ("1:30", 90), ("1.5", 1.5), ("~", None), ("null", None),
    ("2010-09-09", "2010-09-09"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("2002-12-14", "2002-12-14"),
]


@pytest.mark.parametrize(("yaml_text", "expected"), YAML_1_1_SCALARS, ids=[case[0] for case in YAML_1_1_SCALARS])
def test_yaml_1_1_scalars(yaml_text: str, expected: object) -> None:
    value = load_yaml(f"V: {yaml_text}\n")["V"]
    assert value == expected and type(value) is type(expected)


def test_yaml_1_1_scalars_reach_parameters_as_cloudformation_reports_them() -> None:
    template = parse_template(
        "Parameters:\n"
        "  Flag: {Type: String, Default: yes, AllowedValues: [yes, no]}\n"
        "  Mode: {Type: String, Default: 0755}\n"
        "  Day: {Type: String, Default: 2024-01-31}\n"
        "Resources:\n  R: {Type: AWS::SNS::Topic}\n"
    )
    assert template.parameters["Flag"].default == "true"
    assert template.parameters["Flag"].allowed_values == ("true", "false")
    assert template.parameters["Mode"].default == "493"
    assert template.parameters["Day"].default == "2024-01-31"


@pytest.mark.parametrize(
    "body",
    [
        "Resources:\n  A: {Type: X}\n  A: {Type: AWS::SNS::Topic, Properties: {TopicName: t, TopicName: last}}\n",
        '{"Resources": {"A": {"Type": "X"}, "A": {"Type": "AWS::SNS::Topic",'
        ' "Properties": {"TopicName": "t", "TopicName": "last"}}}}',
    ],
    ids=["yaml", "json"],
)
def test_duplicate_keys_keep_the_last_value_as_cloudformation_does(body: str) -> None:
    # CloudFormation accepts duplicate keys in YAML and JSON (validate-template
    # and create alike) and uses the last occurrence; rejecting them would
    # refuse templates that run on AWS.
    template = parse_template(body)
    assert list(template.resources) == ["A"] and template.resources["A"].type == "AWS::SNS::Topic"
    assert to_data(template.resources["A"].properties) == {"TopicName": "last"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"Resources": {', "Template format error: JSON not well-formed. (line 1, column 16)"),
        ('{\n  "Resources": {\n    "A": }\n}', "Template format error: JSON not well-formed. (line 3, column 10)"),
        ("Resources:\n  A: [\n", "Template format error: YAML not well-formed. (line 3, column 1)"),
        ("Resources:\n  ? [a]\n  : 1\n", "Template format error: YAML not well-formed. (line 2, column 5)"),
        ("Resources:\n\tA: 1\n", "Template format error: YAML not well-formed. (line 2, column 1)"),
        ("", "Template format error: At least one Resources member must be defined."),
        ("Description: x\n", "Template format error: At least one Resources member must be defined."),
        ("- a\n- b\n", "Template format error: Template must be a JSON or YAML object"),
    ],
)
def test_malformed_documents(body: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(body)
    assert caught.value.message == message


def test_billion_laughs_is_rejected() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    lines.append("Resources: {R: {Type: AWS::SNS::Topic, Properties: {P: *a9}}}")
    with pytest.raises(TemplateError) as caught:
        parse_template("\n".join(lines) + "\n")
    assert caught.value.message.startswith("Template format error: YAML not well-formed. Aliases expand")


def test_too_many_aliases_rejected_and_modest_aliases_allowed() -> None:
    ok = "x: &t {Type: AWS::SNS::Topic}\n"
    ok_body = "Resources:\n  A: &t {Type: AWS::SNS::Topic}\n  B: *t\n"
    assert list(parse_template(ok_body).resources) == ["A", "B"]
    many = ok + "Resources:\n" + "".join(f"  R{i}: *t\n" for i in range(1001))
    with pytest.raises(TemplateError) as caught:
        load_yaml(many)
    assert caught.value.message.startswith("Template format error: YAML not well-formed. (line")


def test_body_size_limit_and_url_limit() -> None:
    body = "Resources:\n  R: {Type: AWS::SNS::Topic}\n" + "#" * 51_200
    with pytest.raises(TemplateError) as caught:
        parse_template(body)
    assert "Member must have length less than or equal to 51200" in caught.value.message
    assert parse_template(body, max_bytes=1_048_576).resources["R"].type == "AWS::SNS::Topic"


def test_bytes_body_and_format_version_optional() -> None:
    template = parse_template(b"AWSTemplateFormatVersion: 2010-09-09\nResources:\n  R: {Type: AWS::SNS::Topic}\n")
    assert template.format_version == "2010-09-09"
    assert parse_template("Resources:\n  R: {Type: AWS::SNS::Topic}\n").format_version is None
