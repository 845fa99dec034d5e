"""Functions only valid in Rules: Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::RefAll, Fn::ValueOf(All)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfnapi.template.condition_functions import comparable
from cfnapi.template.errors import template_error
from cfnapi.template.expr import Expr, Intrinsic, Parse, ResolveContext, resolve_expr, to_data


def _pair(cls: type, argument: Any, parse: Parse) -> tuple[Expr, Expr]:
    if not isinstance(argument, list) or len(argument) != 2:
        raise template_error(f"every {cls.function_name} object requires a list of 2 parameters")
    return parse(argument[0]), parse(argument[1])


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Contains(Intrinsic):
    function_name = "Fn::Contains"
    candidates: Expr
    value: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Contains":
        return cls(*_pair(cls, argument, parse))

    def arguments(self) -> tuple[Expr, ...]:
        return (self.candidates, self.value)

    def resolve(self, ctx: ResolveContext) -> bool:
        candidates = comparable(_as_list(resolve_expr(self.candidates, ctx)))
        return comparable(resolve_expr(self.value, ctx)) in candidates

    def argument_data(self) -> Any:
        return [to_data(self.candidates), to_data(self.value)]


@dataclass(frozen=True)
class EachMemberEquals(Intrinsic):
    function_name = "Fn::EachMemberEquals"
    members: Expr
    value: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "EachMemberEquals":
        return cls(*_pair(cls, argument, parse))

    def arguments(self) -> tuple[Expr, ...]:
        return (self.members, self.value)

    def resolve(self, ctx: ResolveContext) -> bool:
        expected = comparable(resolve_expr(self.value, ctx))
        return all(comparable(item) == expected for item in _as_list(resolve_expr(self.members, ctx)))

    def argument_data(self) -> Any:
        return [to_data(self.members), to_data(self.value)]


@dataclass(frozen=True)
class EachMemberIn(Intrinsic):
    function_name = "Fn::EachMemberIn"
    members: Expr
    allowed: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "EachMemberIn":
        return cls(*_pair(cls, argument, parse))

    def arguments(self) -> tuple[Expr, ...]:
        return (self.members, self.allowed)

    def resolve(self, ctx: ResolveContext) -> bool:
        allowed = comparable(_as_list(resolve_expr(self.allowed, ctx)))
        return all(comparable(item) in allowed for item in _as_list(resolve_expr(self.members, ctx)))

    def argument_data(self) -> Any:
        return [to_data(self.members), to_data(self.allowed)]


@dataclass(frozen=True)
class RefAll(Intrinsic):
    """Every supplied value of every parameter of one type, as a list."""

    function_name = "Fn::RefAll"
    parameter_type: str

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "RefAll":
        if not isinstance(argument, str):
            raise template_error("every Fn::RefAll object requires a parameter type")
        return cls(argument)

    def resolve(self, ctx: ResolveContext) -> list:
        types = ctx.parameters.get(PARAMETER_TYPES_KEY, {})
        values: list = []
        for name, parameter_type in types.items():
            if parameter_type == self.parameter_type:
                values.extend(_as_list(ctx.parameters[name]))
        return values

    def argument_data(self) -> Any:
        return self.parameter_type


@dataclass(frozen=True)
class ValueOf(Intrinsic):
    """An attribute of the cloud resource a parameter names (e.g. a VPC's tags).

    cfnapi's cloud lookup answers existence only, so rules using these
    functions are rejected with a clear message rather than guessed at.
    """

    function_name = "Fn::ValueOf"
    argument: Any

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "ValueOf":
        return cls(argument)

    def resolve(self, ctx: ResolveContext) -> Any:
        raise template_error(f"{self.function_name} is not supported by cfnapi")

    def argument_data(self) -> Any:
        return self.argument


@dataclass(frozen=True)
class ValueOfAll(ValueOf):
    function_name = "Fn::ValueOfAll"


# ResolveContext.parameters carries the parameter-name → type table under this
# key while rules are evaluated (it cannot clash: parameter names are alphanumeric).
PARAMETER_TYPES_KEY = "::types"

