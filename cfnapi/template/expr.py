"""Expression trees: plain data with intrinsic-function objects inside.

An ``Expr`` is a dict, list, scalar or ``Intrinsic``. Functions are parsed
once (see ``registry.parse_expr``); afterwards the tree is walked to
validate references, collect dependencies, resolve values, or turn it back
into plain template data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from cfnapi.template.errors import TemplateError, format_error, template_error
from cfnapi.template.pseudo import NO_VALUE, PSEUDO_PARAMETERS, StackIdentity, pseudo_value

Expr = Any
Parse = Callable[[Any], Expr]


class ResolutionEnv(Protocol):
    """What the stack engine supplies when properties and outputs are resolved."""

    def ref_resource(self, logical_id: str) -> str: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...

    def import_value(self, export_name: str) -> str: ...

    def availability_zones(self) -> list[str]: ...


@dataclass(frozen=True)
class Scope:
    """The names a template section may reference, for parse-time validation."""

    section: str  # "Resources", "Outputs", "Conditions", "Rules" …
    resources: frozenset[str] = frozenset()
    parameters: frozenset[str] = frozenset()
    conditions: frozenset[str] = frozenset()
    mappings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def allows_resources(self) -> bool:
        return self.section in ("Resources", "Outputs")

    def check_ref(self, name: str) -> None:
        if name in PSEUDO_PARAMETERS or name in self.parameters:
            return
        if name in self.resources and self.allows_resources:
            return
        if name in self.resources:
            raise format_error(
                f"Unresolved dependencies [{name}]. Cannot reference resources in the "
                f"{self.section} block of the template"
            )
        raise format_error(
            f"Unresolved resource dependencies [{name}] in the {self.section} block of the template"
        )

    def check_condition(self, name: str) -> None:
        if name not in self.conditions:
            raise template_error(f"unresolved condition dependency {name} in Fn::If")


@dataclass(frozen=True)
class ResolveContext:
    """Everything needed to turn an expression into a value."""

    parameters: Mapping[str, Any]
    conditions: Mapping[str, bool]
    identity: StackIdentity | None
    mappings: Mapping[str, Any]
    env: ResolutionEnv | None = None

    def ref(self, name: str) -> Any:
        if name in PSEUDO_PARAMETERS:
            if self.identity is None:
                raise template_error(f"pseudo parameter {name} is not available here")
            return pseudo_value(name, self.identity)
        if name in self.parameters:
            return self.parameters[name]
        return self.require_env(f"Ref {name}").ref_resource(name)

    def condition(self, name: str) -> bool:
        try:
            return self.conditions[name]
        except KeyError:
            raise template_error(f"unresolved condition dependency {name}") from None

    def require_env(self, what: str) -> ResolutionEnv:
        if self.env is None:
            raise format_error(f"Unresolved dependencies. {what} cannot be resolved in this block of the template")
        return self.env


class Intrinsic:
    """Base of every intrinsic function class (each a frozen dataclass)."""

    function_name: ClassVar[str]

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Intrinsic":
        """Check the argument's shape and build the object (parse time)."""
        raise NotImplementedError

    def arguments(self) -> Iterable[Expr]:
        """Nested expressions, for walking the tree."""
        return ()

    def validate(self, scope: Scope) -> None:
        """Check this call's own references against the template (nested calls are walked separately)."""

    def own_references(self) -> frozenset[str]:
        """Names this call itself refers to (parameters, resources or pseudo parameters)."""
        return frozenset()

    def dependencies(self) -> frozenset[str]:
        """Every name referenced by this call and the calls nested in it."""
        names = set(self.own_references())
        for argument in self.arguments():
            names |= references_in(argument)
        return frozenset(names)

    def resolve(self, ctx: ResolveContext) -> Any:
        raise NotImplementedError

    def argument_data(self) -> Any:
        raise NotImplementedError

    def to_data(self) -> dict:
        return {self.function_name: self.argument_data()}


def iter_intrinsics(expr: Expr) -> Iterator[Intrinsic]:
    """Every function object in the tree, outermost first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Intrinsic):
            yield node
            stack.extend(node.arguments())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def references_in(expr: Expr) -> frozenset[str]:
    names: set[str] = set()
    for function in iter_intrinsics(expr):
        names |= function.own_references()
    return frozenset(names)


def validate_expr(expr: Expr, scope: Scope) -> None:
    for function in iter_intrinsics(expr):
        function.validate(scope)


def to_data(expr: Expr) -> Any:
    """Back to plain template data (long-form functions)."""
    if isinstance(expr, Intrinsic):
        return expr.to_data()
    if isinstance(expr, dict):
        return {key: to_data(value) for key, value in expr.items()}
    if isinstance(expr, list):
        return [to_data(item) for item in expr]
    return expr


def resolve_expr(expr: Expr, ctx: ResolveContext) -> Any:
    """Resolve to plain data; ``AWS::NoValue`` drops the key or list item it sits in."""
    if isinstance(expr, Intrinsic):
        return expr.resolve(ctx)
    if isinstance(expr, dict):
        resolved = {key: resolve_expr(value, ctx) for key, value in expr.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}
    if isinstance(expr, list):
        return [value for value in (resolve_expr(item, ctx) for item in expr) if value is not NO_VALUE]
    return expr


def as_string(value: Any, what: str) -> str:
    """CloudFormation's view of a scalar as a string (numbers and booleans included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise template_error(f"{what} does not resolve to a string")


def static_string(expr: Expr) -> str | None:
    """A string known at parse time (a literal, or an Fn::Sub with no variables)."""
    if isinstance(expr, str):
        return expr
    static = getattr(expr, "static_text", None)
    return static() if callable(static) else None


__all__ = [
    "Expr", "Intrinsic", "NO_VALUE", "ResolutionEnv", "ResolveContext", "Scope", "TemplateError",
    "as_string", "iter_intrinsics", "references_in", "resolve_expr", "static_string", "to_data",
    "validate_expr",
]
