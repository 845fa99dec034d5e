"""Conditions: every condition function, nesting, cross-references and resource filtering."""

from __future__ import annotations

import pytest

from cfnapi.template import (
    TemplateError, active_resources, evaluate_conditions, parse_template, resolve_parameters,
)
from tests.template.helpers import IDENTITY

TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: prod}
  Size: {Type: Number, Default: 80}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
Mappings:
  M: {prod: {Big: "true"}, dev: {Big: "false"}, test: {Big: "false"}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Equals [dev, !Ref Env]
  NumberEqualsString: !Equals [!Ref Size, 80]
  ListEquals: !Equals [!Ref Zones, [a, b]]
  InEu: !Equals [!Ref AWS::Region, eu-west-1]
  ProdInEu: !And [!Condition IsProd, !Condition InEu]
  ProdOrDev: !Or [!Condition IsDev, !Condition IsProd, !Equals [x, y]]
  NotProd: !Not [!Condition IsProd]
  Nested: !Not [!And [!Condition IsProd, !Or [!Condition IsDev, !Condition NotProd]]]
  Later: !Condition DefinedAfter
  DefinedAfter: !Equals [!Select [1, !Ref Zones], b]
  FromMap: !Equals [!FindInMap [M, !Ref Env, Big], "true"]
  LongForm: {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Fn::Sub": "${Env}"}, "prod"]}]}
  IfInside: !Equals [!If [IsProd, yes, no], yes]
Resources:
  Always: {Type: AWS::SNS::Topic}
  OnlyProd: {Type: AWS::SNS::Topic, Condition: IsProd}
  OnlyDev: {Type: AWS::SNS::Topic, Condition: IsDev}
"""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ("prod", dict(IsProd=True, IsDev=False, ProdInEu=True, ProdOrDev=True, NotProd=False, Nested=True,
                      IfInside=True, FromMap=True, LongForm=True)),
        ("dev", dict(IsProd=False, IsDev=True, ProdInEu=False, ProdOrDev=True, NotProd=True, Nested=True,
                     IfInside=False, LongForm=False)),
        ("test", dict(IsProd=False, IsDev=False, ProdInEu=False, ProdOrDev=False, NotProd=True, Nested=True)),
    ],
)
def test_conditions_evaluate(env: str, expected: dict[str, bool]) -> None:
    template = parse_template(TEMPLATE)
    params = resolve_parameters(template, {"Env": env})
    values = evaluate_conditions(template, params, IDENTITY)
    assert values["NumberEqualsString"] is True
    assert values["ListEquals"] is True
    assert values["InEu"] is True
    assert values["Later"] is True and values["DefinedAfter"] is True
    for name, value in expected.items():
        assert values[name] is value, name
    assert list(values) == list(template.conditions)


def test_active_resources_follow_conditions() -> None:
    template = parse_template(TEMPLATE)
    values = evaluate_conditions(template, resolve_parameters(template, {"Env": "dev"}), IDENTITY)
    assert list(active_resources(template, values)) == ["Always", "OnlyDev"]


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("A: !And [!Condition B]", "Template error: every Fn::And object requires a list of at least 2 and at most 10 boolean parameters."),
        ("A: !Or [" + ", ".join(["!Condition B"] * 11) + "]", "Template error: every Fn::Or object requires a list of at least 2"),
        ("A: !Not [!Condition B, !Condition B]", "Template error: every Fn::Not object requires a list of 1 boolean parameter."),
        ("A: !Equals [x]", "Template error: every Fn::Equals object requires a list of 2 string parameters."),
        ("A: !Not [!Condition Missing]", "Template error: unresolved condition dependency Missing"),
        ("A: !Equals [!Ref R, x]", "Template format error: Unresolved dependencies [R]. Cannot reference resources in the Conditions block of the template"),
        ("A: !Equals [!GetAtt R.Arn, x]", "Template error: Fn::GetAtt is not supported in the Conditions block of the template"),
        ("A: !Equals [!ImportValue x, x]", "Template error: Fn::ImportValue is not supported in the Conditions block"),
        ("A: !Condition C\n  C: !Not [!Condition A]", "Template format error: Circular dependency between conditions: [A, C]"),
    ],
)
def test_condition_errors(conditions: str, message: str) -> None:
    text = f"Conditions:\n  B: !Equals [a, a]\n  {conditions}\nResources:\n  R: {{Type: AWS::SNS::Topic}}\n"
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert caught.value.message.startswith(message)


def test_resource_condition_must_exist() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("Resources:\n  R: {Type: AWS::SNS::Topic, Condition: Nope}\n")
    assert caught.value.message == (
        "Template format error: Unresolved condition dependency Nope in the Resources block of the template"
    )


def test_conditions_that_compare_non_booleans_fail() -> None:
    template = parse_template("Conditions:\n  A: !Not [abc]\nResources:\n  R: {Type: AWS::SNS::Topic}\n")
    with pytest.raises(TemplateError):
        evaluate_conditions(template, resolve_parameters(template, {}), IDENTITY)
