"""The function registry ("Fn::Join" → class) and the parser that builds expression trees."""

from __future__ import annotations

from typing import Any

from cfnapi.template import condition_functions as cond
from cfnapi.template import functions as fn
from cfnapi.template import rule_functions as rules
from cfnapi.template.errors import template_error
from cfnapi.template.expr import Expr, Intrinsic, iter_intrinsics

FUNCTIONS: dict[str, type[Intrinsic]] = {
    cls.function_name: cls
    for cls in (
        fn.Ref, fn.GetAtt, fn.Sub, fn.Join, fn.Select, fn.Split, fn.FindInMap, fn.Base64,
        fn.GetAZs, fn.ImportValue, fn.Cidr, fn.Length, fn.ToJsonString, fn.UnprocessedTransform,
        cond.If, cond.Equals, cond.And, cond.Or, cond.Not,
    )
}

RULE_FUNCTIONS: dict[str, type[Intrinsic]] = {
    cls.function_name: cls
    for cls in (rules.Contains, rules.EachMemberEquals, rules.EachMemberIn, rules.RefAll, rules.ValueOf, rules.ValueOfAll)
}

# Functions a Conditions entry (or a rule) may use, as CloudFormation allows.
CONDITION_FUNCTIONS = frozenset({
    "Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or", "Ref", "Fn::FindInMap", "Fn::Sub",
    "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Base64", "Fn::Length", "Fn::ToJsonString",
    "Fn::Cidr",
})


def parse_expr(data: Any, *, rule_context: bool = False) -> Expr:
    """Plain template data → expression tree, with every function call an object."""

    def parse(item: Any) -> Expr:
        if isinstance(item, dict):
            if len(item) == 1:
                (key, argument), = item.items()
                function = FUNCTIONS.get(key) or (RULE_FUNCTIONS.get(key) if rule_context else None)
                if function is not None:
                    return function.from_argument(argument, parse)
                if isinstance(key, str) and key.startswith("Fn::") and not key.startswith("Fn::ForEach::"):
                    raise template_error(f"Encountered unsupported function: {key}")
            return {key: parse(value) for key, value in item.items()}
        if isinstance(item, list):
            return [parse(value) for value in item]
        return item

    return parse(data)


def parse_condition(data: Any, *, rule_context: bool = False) -> Expr:
    """A Conditions entry or rule condition: ``{"Condition": X}`` names another condition."""
    expr = cond.parse_condition_operand(data, lambda item: parse_expr(item, rule_context=rule_context))
    allowed = CONDITION_FUNCTIONS | (RULE_FUNCTIONS.keys() if rule_context else set())
    for function in iter_intrinsics(expr):
        if function.function_name not in allowed and function.function_name != "Condition":
            raise template_error(f"{function.function_name} is not supported in the Conditions block of the template")
    return expr
