"""Property: a generated template written as JSON, long-form YAML and short-form YAML parses identically."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfnapi.template import parse_template

NAMES = st.from_regex(r"[A-Z][A-Za-z0-9]{0,8}", fullmatch=True)
TEXT = st.text(alphabet="abcxyz-_ 019", min_size=1, max_size=12).filter(lambda s: s.strip() == s)


class Tagged:
    """A function call to be dumped as a YAML short-form tag."""

    def __init__(self, tag: str, value: Any):
        self.tag, self.value = tag, value

    @property
    def long_name(self) -> str:
        name = self.tag[1:]
        return name if name in ("Ref", "Condition") else f"Fn::{name}"


class ShortFormDumper(yaml.SafeDumper):
    pass


def _represent_tagged(dumper: yaml.SafeDumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, str):
        return dumper.represent_scalar(data.tag, data.value)
    if isinstance(data.value, Tagged):
        # YAML allows one tag per node: an inner call is written in long form, as AWS's docs say.
        return dumper.represent_mapping(data.tag, {data.value.long_name: data.value.value})
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_sequence(data.tag, data.value)


ShortFormDumper.add_representer(Tagged, _represent_tagged)


def _is_text_or_call(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::"))
    )


def expressions(parameters: list[str], resources: list[str]) -> st.SearchStrategy:
    """(long-form data, short-form data) pairs for nested expressions."""
    refs = st.sampled_from(parameters + resources + ["AWS::Region", "AWS::StackName"])
    leaves = st.one_of(
        TEXT.map(lambda s: (s, s)),
        refs.map(lambda name: ({"Ref": name}, Tagged("!Ref", name))),
        st.tuples(st.sampled_from(resources), st.sampled_from(["Arn", "Outputs.Url"])).map(
            lambda pair: ({"Fn::GetAtt": list(pair)}, Tagged("!GetAtt", f"{pair[0]}.{pair[1]}"))
        ),
        st.sampled_from(parameters + resources).map(
            lambda name: ({"Fn::Sub": f"x-${{{name}}}-${{!Lit}}"}, Tagged("!Sub", f"x-${{{name}}}-${{!Lit}}"))
        ),
    )

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.lists(children, min_size=0, max_size=3).map(
                lambda items: ({"Fn::Join": ["-", [i[0] for i in items]]}, Tagged("!Join", ["-", [i[1] for i in items]]))
            ),
            st.tuples(children, children).map(
                lambda pair: ({"Fn::If": ["C", pair[0][0], pair[1][0]]}, Tagged("!If", ["C", pair[0][1], pair[1][1]]))
            ),
            children.map(lambda child: ({"Fn::Base64": child[0]}, Tagged("!Base64", child[1]))
                         if _is_text_or_call(child[0]) else child),
            st.lists(children, min_size=1, max_size=3).map(
                lambda items: ([i[0] for i in items], [i[1] for i in items])
            ),
            st.dictionaries(NAMES, children, min_size=1, max_size=3).map(
                lambda mapping: ({k: v[0] for k, v in mapping.items()}, {k: v[1] for k, v in mapping.items()})
            ),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@st.composite
def templates(draw: st.DrawFn) -> tuple[dict, dict]:
    parameters = draw(st.lists(NAMES.map(lambda n: "P" + n), min_size=1, max_size=3, unique=True))
    resources = draw(st.lists(NAMES.map(lambda n: "R" + n), min_size=1, max_size=4, unique=True))
    long_form: dict = {
        "Parameters": {name: {"Type": "String", "Default": draw(TEXT)} for name in parameters},
        "Conditions": {"C": {"Fn::Equals": [{"Ref": parameters[0]}, "x"]}},
        "Resources": {},
        "Outputs": {},
    }
    short_form: dict = {
        "Parameters": long_form["Parameters"],
        "Conditions": {"C": Tagged("!Equals", [Tagged("!Ref", parameters[0]), "x"])},
        "Resources": {},
        "Outputs": {},
    }
    for index, name in enumerate(resources):
        # Only reference earlier resources so no generated template has a cycle.
        expression = draw(expressions(parameters, resources[:index] or [resources[0]])) if index else ("v", "v")
        long_form["Resources"][name] = {"Type": "AWS::SNS::Topic", "Properties": {"P": expression[0]}}
        short_form["Resources"][name] = {"Type": "AWS::SNS::Topic", "Properties": {"P": expression[1]}}
    output = draw(expressions(parameters, resources))
    long_form["Outputs"]["Out"] = {"Value": output[0]}
    short_form["Outputs"]["Out"] = {"Value": output[1]}
    return long_form, short_form


def definition(body: str) -> Any:
    """The parsed template minus the raw text and raw data, which legitimately differ by syntax."""
    return dataclasses.replace(parse_template(body, max_bytes=1_048_576), body="", processed={})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates())
def test_json_and_yaml_forms_parse_to_the_same_definition(pair: tuple[dict, dict]) -> None:
    long_form, short_form = pair
    from_json = definition(json.dumps(long_form))
    from_long_yaml = definition(yaml.safe_dump(long_form, sort_keys=False))
    from_short_yaml = definition(yaml.dump(short_form, Dumper=ShortFormDumper, sort_keys=False))
    assert from_json == from_long_yaml == from_short_yaml
    assert parse_template(yaml.safe_dump(long_form), max_bytes=1_048_576).processed == long_form
