"""AWS::LanguageExtensions (Fn::ForEach) and AWS::Include."""

from __future__ import annotations

import pytest

from cfnapi.template import TemplateError, parse_template, to_data

FOR_EACH = """\
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: "a-1,b-2"}
Resources:
  Fn::ForEach::Topics:
    - Name
    - !Ref Names
    - Topic&{Name}:
        Type: AWS::SNS::Topic
        Properties:
          TopicName: !Sub '${Name}-${AWS::StackName}'
          DisplayName: !Ref Name
  Fn::ForEach::Queues:
    - Q
    - [X, Y]
    - Fn::ForEach::Inner:
        - Size
        - [S, L]
        - Queue${Q}${Size}:
            Type: AWS::SQS::Queue
            Properties: {QueueName: !Sub 'q-${Q}-${Size}', Tags: [{Key: k, Value: !Ref Size}]}
Outputs:
  Fn::ForEach::Out:
    - Q
    - [X]
    - Out${Q}:
        Value: !GetAtt [!Sub 'Queue${Q}S', Arn]
"""


def test_for_each_expands_resources_nested_loops_and_outputs() -> None:
    template = parse_template(FOR_EACH)
    assert template.transforms == ("AWS::LanguageExtensions",)
    assert list(template.resources) == ["Topica1", "Topicb2", "QueueXS", "QueueXL", "QueueYS", "QueueYL"]
    assert to_data(template.resources["Topicb2"].properties) == {
        "TopicName": {"Fn::Sub": "b-2-${AWS::StackName}"}, "DisplayName": "b-2",
    }
    assert to_data(template.resources["QueueYL"].properties) == {
        "QueueName": {"Fn::Sub": "q-Y-L"}, "Tags": [{"Key": "k", "Value": "L"}],
    }
    assert template.resources and template.outputs["OutX"].value.resource == "QueueXS"
    assert "Transform" not in template.processed
    assert "Fn::ForEach::Topics" not in template.processed["Resources"]
    assert "Fn::ForEach::Topics" in template.body


@pytest.mark.parametrize(
    ("loop", "message"),
    [
        ("[Id, [a]]", "Template error: Fn::ForEach::L requires a list of three parameters"),
        ("[Id, [a, a], {'R${Id}': {Type: AWS::SNS::Topic}}]", "Template format error: Fn::ForEach loop Fn::ForEach::L generates the duplicate key Ra"),
        ("[Id, !Ref NoDefault, {'R${Id}': {Type: AWS::SNS::Topic}}]", "Template error: Fn::ForEach::L collection parameter NoDefault must have a Default value to be validated"),
        ("[Id, !Ref Missing, {'R${Id}': {Type: AWS::SNS::Topic}}]", "Template error: Fn::ForEach::L collection must be a list of strings or a Ref to a list parameter"),
    ],
)
def test_for_each_errors(loop: str, message: str) -> None:
    body = (
        "Transform: AWS::LanguageExtensions\nParameters:\n  NoDefault: {Type: CommaDelimitedList}\n"
        f"Resources:\n  Fn::ForEach::L: {loop}\n"
    )
    with pytest.raises(TemplateError) as caught:
        parse_template(body)
    assert caught.value.message.startswith(message)


LOOP_OVER_PARAMETER = """\
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: "a,b"}
  Sizes: {Type: List<Number>}
Resources:
  Fn::ForEach::Topics:
    - Name
    - !Ref Names
    - Topic${Name}: {Type: AWS::SNS::Topic}
  Fn::ForEach::Volumes:
    - Size
    - !Ref Sizes
    - Volume${Size}: {Type: AWS::EC2::Volume, Properties: {Size: !Ref Size, AvailabilityZone: az}}
"""


@pytest.mark.parametrize(
    ("values", "resources"),
    [
        ({"Sizes": "1"}, ["Topica", "Topicb", "Volume1"]),  # Names from its Default
        ({"Names": "x, y ,z", "Sizes": "1,20"}, ["Topicx", "Topicy", "Topicz", "Volume1", "Volume20"]),
        ({"Names": "", "Sizes": "5"}, ["Volume5"]),  # an empty list value loops zero times
    ],
)
def test_for_each_over_a_parameter_uses_the_stacks_value(values: dict, resources: list) -> None:
    template = parse_template(LOOP_OVER_PARAMETER, parameter_values=values)
    assert list(template.resources) == resources
    assert list(template.processed["Resources"]) == resources


def test_for_each_over_a_parameter_without_value_or_default_must_have_values() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(LOOP_OVER_PARAMETER, parameter_values={"Names": "a"})
    assert caught.value.message == "Parameters: [Sizes] must have values"


def test_for_each_without_the_transform_is_not_a_function() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("Resources:\n  Fn::ForEach::L: [Id, [a], {'R${Id}': {Type: AWS::SNS::Topic}}]\n")
    assert "non alphanumeric" in caught.value.message


SNIPPETS = {
    "s3://bucket/topic.yaml": "Type: AWS::SNS::Topic\nProperties: {TopicName: included}\n",
    "s3://bucket/resources.json": '{"Extra": {"Type": "AWS::SQS::Queue"}}',
    "s3://bucket/outputs.json": '{"Outputs": {"O": {"Value": "x"}}}',
}


def test_include_inserts_snippets_as_values_keys_and_top_level() -> None:
    body = (
        "Transform: {Name: AWS::Include, Parameters: {Location: s3://bucket/outputs.json}}\n"
        "Resources:\n"
        "  Topic: {'Fn::Transform': {Name: AWS::Include, Parameters: {Location: s3://bucket/topic.yaml}}}\n"
        "  Other:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Properties:\n"
        "      DisplayName: d\n"
        "      Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://bucket/resources.json}}\n"
    )
    template = parse_template(body, include_fetcher=SNIPPETS.__getitem__)
    assert template.transforms == ("AWS::Include",)
    assert template.resources["Topic"].properties == {"TopicName": "included"}
    assert template.resources["Other"].properties == {"DisplayName": "d", "Extra": {"Type": "AWS::SQS::Queue"}}
    assert template.outputs["O"].value == "x"
    assert template.processed["Outputs"] == {"O": {"Value": "x"}}


def test_include_without_fetcher_or_unknown_transform_fails() -> None:
    body = "Resources:\n  T: {'Fn::Transform': {Name: AWS::Include, Parameters: {Location: s3://b/k}}}\n"
    with pytest.raises(TemplateError) as caught:
        parse_template(body)
    assert caught.value.message == "Transform AWS::Include failed: the location s3://b/k cannot be read here"
    with pytest.raises(TemplateError) as caught:
        parse_template("Transform: AWS::Serverless-2016-10-31\nResources:\n  T: {Type: AWS::SNS::Topic}\n")
    assert caught.value.message.startswith("Template format error: Unsupported transform AWS::Serverless-2016-10-31")
