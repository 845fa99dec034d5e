"""Condition functions: Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfnapi.template.errors import template_error
from cfnapi.template.expr import Expr, Intrinsic, Parse, ResolveContext, Scope, resolve_expr, to_data


def comparable(value: Any) -> Any:
    """Fn::Equals compares the string forms: 80 equals "80", true equals "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    return value


def resolve_boolean(expr: Expr, ctx: ResolveContext, function_name: str) -> bool:
    value = resolve_expr(expr, ctx)
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise template_error(f"every {function_name} member must evaluate to a boolean")


@dataclass(frozen=True)
class If(Intrinsic):
    function_name = "Fn::If"
    condition: str
    when_true: Expr
    when_false: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "If":
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
            raise template_error(
                "every Fn::If object requires three parameters, the condition name, the value when "
                "true and the value when false"
            )
        return cls(argument[0], parse(argument[1]), parse(argument[2]))

    def arguments(self) -> tuple[Expr, ...]:
        return (self.when_true, self.when_false)

    def validate(self, scope: Scope) -> None:
        scope.check_condition(self.condition)

    def resolve(self, ctx: ResolveContext) -> Any:
        chosen = self.when_true if ctx.condition(self.condition) else self.when_false
        return resolve_expr(chosen, ctx)

    def argument_data(self) -> Any:
        return [self.condition, to_data(self.when_true), to_data(self.when_false)]


@dataclass(frozen=True)
class Equals(Intrinsic):
    function_name = "Fn::Equals"
    left: Expr
    right: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Equals":
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error("every Fn::Equals object requires a list of 2 string parameters.")
        return cls(parse(argument[0]), parse(argument[1]))

    def arguments(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def resolve(self, ctx: ResolveContext) -> bool:
        return comparable(resolve_expr(self.left, ctx)) == comparable(resolve_expr(self.right, ctx))

    def argument_data(self) -> Any:
        return [to_data(self.left), to_data(self.right)]


@dataclass(frozen=True)
class _Combination(Intrinsic):
    """Fn::And / Fn::Or: 2 to 10 conditions."""

    operands: tuple[Expr, ...]

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "_Combination":
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise template_error(
                f"every {cls.function_name} object requires a list of at least 2 and at most 10 "
                "boolean parameters."
            )
        return cls(tuple(parse_condition_operand(item, parse) for item in argument))

    def arguments(self) -> tuple[Expr, ...]:
        return self.operands

    def argument_data(self) -> Any:
        return [to_data(operand) for operand in self.operands]


@dataclass(frozen=True)
class And(_Combination):
    function_name = "Fn::And"

    def resolve(self, ctx: ResolveContext) -> bool:
        return all(resolve_boolean(operand, ctx, self.function_name) for operand in self.operands)


@dataclass(frozen=True)
class Or(_Combination):
    function_name = "Fn::Or"

    def resolve(self, ctx: ResolveContext) -> bool:
        return any(resolve_boolean(operand, ctx, self.function_name) for operand in self.operands)


@dataclass(frozen=True)
class Not(Intrinsic):
    function_name = "Fn::Not"
    operand: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Not":
        if not isinstance(argument, list) or len(argument) != 1:
            raise template_error("every Fn::Not object requires a list of 1 boolean parameter.")
        return cls(parse_condition_operand(argument[0], parse))

    def arguments(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def resolve(self, ctx: ResolveContext) -> bool:
        return not resolve_boolean(self.operand, ctx, self.function_name)

    def argument_data(self) -> Any:
        return [to_data(self.operand)]


@dataclass(frozen=True)
class ConditionRef(Intrinsic):
    """``{"Condition": "Name"}`` inside a condition: another condition's value."""

    function_name = "Condition"
    name: str

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "ConditionRef":
        if not isinstance(argument, str) or not argument:
            raise template_error("every Condition object requires a condition name")
        return cls(argument)

    def validate(self, scope: Scope) -> None:
        if self.name not in scope.conditions:
            raise template_error(f"unresolved condition dependency {self.name} in Fn::Not")

    def resolve(self, ctx: ResolveContext) -> bool:
        return ctx.condition(self.name)

    def argument_data(self) -> Any:
        return self.name


def parse_condition_operand(item: Any, parse: Parse) -> Expr:
    """Operands of And/Or/Not may be ``{"Condition": name}``, which elsewhere is plain data."""
    if isinstance(item, dict) and len(item) == 1 and "Condition" in item:
        return ConditionRef.from_argument(item["Condition"], parse)
    return parse(item)
