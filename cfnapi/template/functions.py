"""Value-producing intrinsic functions: Ref, Fn::GetAtt, Fn::Sub, Fn::Join …

Each class checks its argument's shape in ``from_argument`` (parse time),
its references in ``validate``, and computes its value in ``resolve``.
Error wording follows CloudFormation's.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from cfnapi.template.cidr import cidr_blocks
from cfnapi.template.errors import TemplateError, format_error, template_error
from cfnapi.template.expr import (
    Expr, Intrinsic, Parse, ResolveContext, Scope, as_string, resolve_expr, static_string, to_data,
)
from cfnapi.template.pseudo import NO_VALUE


@dataclass(frozen=True)
class Ref(Intrinsic):
    function_name = "Ref"
    name: str

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Ref":
        if not isinstance(argument, str) or not argument:
            raise format_error("Every Ref object must have a single String value.")
        return cls(argument)

    def validate(self, scope: Scope) -> None:
        scope.check_ref(self.name)

    def own_references(self) -> frozenset[str]:
        return frozenset({self.name})

    def resolve(self, ctx: ResolveContext) -> Any:
        return ctx.ref(self.name)

    def argument_data(self) -> Any:
        return self.name


@dataclass(frozen=True)
class GetAtt(Intrinsic):
    function_name = "Fn::GetAtt"
    resource: str
    attribute: Expr  # a string, or (AWS::LanguageExtensions) a Ref to a parameter

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "GetAtt":
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error("every Fn::GetAtt object requires two non-empty parameters")
        resource = static_string(parse(argument[0]))
        attribute = parse(argument[1])
        if not resource or attribute == "" or not isinstance(attribute, (str, Intrinsic)):
            raise template_error("every Fn::GetAtt object requires two non-empty parameters")
        return cls(resource, attribute)

    def arguments(self) -> tuple[Expr, ...]:
        return (self.attribute,)

    def validate(self, scope: Scope) -> None:
        if self.resource not in scope.resources:
            raise template_error(f"instance of Fn::GetAtt references undefined resource {self.resource}")
        if not scope.allows_resources:
            raise format_error(
                f"Unresolved dependencies [{self.resource}]. Cannot reference resources in the "
                f"{scope.section} block of the template"
            )

    def own_references(self) -> frozenset[str]:
        return frozenset({self.resource})

    def resolve(self, ctx: ResolveContext) -> Any:
        attribute = as_string(resolve_expr(self.attribute, ctx), "Fn::GetAtt attribute")
        return ctx.require_env(f"Fn::GetAtt {self.resource}").get_att(self.resource, attribute)

    def argument_data(self) -> Any:
        return [self.resource, to_data(self.attribute)]


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# What AWS accepts between ${ and }: AWS::Region, Param, Resource.Attr.Nested.
_SUB_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_:.]+")
_SUB_VARIABLE_NAME_ERROR = (
    "variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons"
)


@dataclass(frozen=True)
class SubVariable:
    """``${Name}`` or ``${Resource.Attribute}`` inside an Fn::Sub string."""

    name: str
    attribute: str | None = None

    @property
    def text(self) -> str:
        return f"{self.name}.{self.attribute}" if self.attribute else self.name


def parse_sub_string(text: str) -> tuple[str | SubVariable, ...]:
    """Split an Fn::Sub string into literal text and variables; ``${!X}`` is the literal ``${X}``."""
    parts: list[str | SubVariable] = []
    literal: list[str] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        literal.append(text[position:match.start()])
        position = match.end()
        body = match.group(1)
        if body.startswith("!"):
            literal.append("${" + body[1:] + "}")
            continue
        name = body.strip()
        if not _SUB_VARIABLE_NAME.fullmatch(name):
            raise template_error(_SUB_VARIABLE_NAME_ERROR)
        if literal:
            parts.append("".join(literal))
            literal = []
        head, dot, tail = name.partition(".")
        parts.append(SubVariable(head, tail) if dot and not head.startswith("AWS::") else SubVariable(name))
    literal.append(text[position:])
    if "".join(literal):
        parts.append("".join(literal))
    return tuple(parts)


_SUB_SHAPE_ERROR = (
    "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string "
    "as first argument, and an optional second argument to specify a mapping of values to "
    "replace in the string"
)


@dataclass(frozen=True)
class Sub(Intrinsic):
    function_name = "Fn::Sub"
    template: str
    parts: tuple[str | SubVariable, ...]
    variables: dict[str, Expr] | None = None  # None: the one-argument form

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Sub":
        if isinstance(argument, str):
            return cls(argument, parse_sub_string(argument))
        if (
            isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)
            and isinstance(argument[1], dict)
        ):
            variables = {str(key): parse(value) for key, value in argument[1].items()}
            return cls(argument[0], parse_sub_string(argument[0]), variables)
        raise template_error(_SUB_SHAPE_ERROR)

    def static_text(self) -> str | None:
        if any(isinstance(part, SubVariable) for part in self.parts):
            return None
        return "".join(self.parts)  # type: ignore[arg-type]

    def arguments(self) -> tuple[Expr, ...]:
        return tuple((self.variables or {}).values())

    def free_variables(self) -> list[SubVariable]:
        local = self.variables or {}
        return [
            part for part in self.parts
            if isinstance(part, SubVariable) and part.text not in local and part.name not in local
        ]

    def validate(self, scope: Scope) -> None:
        for variable in self.free_variables():
            if variable.attribute is None:
                scope.check_ref(variable.name)
            elif variable.name not in scope.resources:
                raise template_error(
                    f"instance of Fn::Sub references invalid resource attribute {variable.text}"
                )
            elif not scope.allows_resources:
                raise format_error(
                    f"Unresolved dependencies [{variable.name}]. Cannot reference resources in "
                    f"the {scope.section} block of the template"
                )

    def own_references(self) -> frozenset[str]:
        return frozenset(variable.name for variable in self.free_variables())

    def resolve(self, ctx: ResolveContext) -> str:
        local = self.variables or {}
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if part.text in local:
                value = resolve_expr(local[part.text], ctx)
            elif part.attribute is not None:
                value = ctx.require_env(f"Fn::Sub {part.text}").get_att(part.name, part.attribute)
            else:
                value = ctx.ref(part.text)
            if isinstance(value, list) or value is NO_VALUE:
                raise template_error(f"variable {part.text} in Fn::Sub expression does not resolve to a string")
            out.append(as_string(value, f"variable {part.text} in Fn::Sub expression"))
        return "".join(out)

    def argument_data(self) -> Any:
        if self.variables is None:
            return self.template
        return [self.template, {key: to_data(value) for key, value in self.variables.items()}]


def _resolve_list(expr: Expr, ctx: ResolveContext, what: str) -> list:
    value = resolve_expr(expr, ctx)
    if not isinstance(value, list):
        raise template_error(f"{what} does not resolve to a list")
    return value


@dataclass(frozen=True)
class Join(Intrinsic):
    function_name = "Fn::Join"
    delimiter: str
    values: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Join":
        if (
            isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)
            and isinstance(argument[1], (list, dict))
        ):
            values = parse(argument[1])
            if isinstance(values, (list, Intrinsic)):
                return cls(argument[0], values)
        raise template_error(
            "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list "
            "of strings to be joined or a function that returns a list of strings (such as "
            "Fn::GetAZs) to be joined."
        )

    def arguments(self) -> tuple[Expr, ...]:
        return (self.values,)

    def resolve(self, ctx: ResolveContext) -> str:
        items = _resolve_list(self.values, ctx, "Fn::Join list")
        return self.delimiter.join(as_string(item, "every Fn::Join list item") for item in items)

    def argument_data(self) -> Any:
        return [self.delimiter, to_data(self.values)]


@dataclass(frozen=True)
class Select(Intrinsic):
    function_name = "Fn::Select"
    index: Expr
    values: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Select":
        if isinstance(argument, list) and len(argument) == 2:
            index, values = parse(argument[0]), parse(argument[1])
            if isinstance(index, (str, int, Intrinsic)) and not isinstance(index, bool) and isinstance(
                values, (list, Intrinsic)
            ):
                return cls(index, values)
        raise template_error("Fn::Select requires a list argument with two elements: an integer index and a list")

    def arguments(self) -> tuple[Expr, ...]:
        return (self.index, self.values)

    def validate(self, scope: Scope) -> None:
        # A literal index into a literal list is checked before anything runs, as AWS does.
        if isinstance(self.values, list) and isinstance(self.index, (int, str)):
            try:
                index = int(self.index)
            except ValueError:
                return
            if not 0 <= index < len(self.values):
                raise template_error(f"Fn::Select cannot select nonexistent value at index {index}")

    def resolve(self, ctx: ResolveContext) -> Any:
        raw_index = resolve_expr(self.index, ctx)
        try:
            index = int(raw_index)
        except (TypeError, ValueError):
            raise template_error("Fn::Select requires a list argument with two elements: an integer index and a list") from None
        items = _resolve_list(self.values, ctx, "Fn::Select list")
        if not 0 <= index < len(items):
            raise template_error(f"Fn::Select cannot select nonexistent value at index {index}")
        return items[index]

    def argument_data(self) -> Any:
        return [to_data(self.index), to_data(self.values)]


@dataclass(frozen=True)
class Split(Intrinsic):
    function_name = "Fn::Split"
    delimiter: str
    source: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Split":
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str) and argument[0]:
            source = parse(argument[1])
            if isinstance(source, (str, Intrinsic)):
                return cls(argument[0], source)
        raise template_error(
            "every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string "
            "to be split or a function that returns a string to be split."
        )

    def arguments(self) -> tuple[Expr, ...]:
        return (self.source,)

    def resolve(self, ctx: ResolveContext) -> list[str]:
        return as_string(resolve_expr(self.source, ctx), "Fn::Split source").split(self.delimiter)

    def argument_data(self) -> Any:
        return [self.delimiter, to_data(self.source)]


_FIND_IN_MAP_SHAPE = (
    "every Fn::FindInMap object requires three parameters, the map name, map key and the "
    "attribute for return value"
)


def _no_such_mapping(name: str) -> TemplateError:
    return template_error(f"Mapping named '{name}' is not present in the 'Mappings' section of template.")


@dataclass(frozen=True)
class FindInMap(Intrinsic):
    function_name = "Fn::FindInMap"
    map_name: Expr
    top_key: Expr
    second_key: Expr
    default: Expr = NO_VALUE  # AWS::LanguageExtensions' {DefaultValue: …}; NO_VALUE when absent

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "FindInMap":
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise template_error(_FIND_IN_MAP_SHAPE)
        keys = [parse(item) for item in argument[:3]]
        if any(not isinstance(key, (str, int, Intrinsic)) or key == "" for key in keys):
            raise template_error(_FIND_IN_MAP_SHAPE)
        default: Expr = NO_VALUE
        if len(argument) == 4:
            option = argument[3]
            if not isinstance(option, dict) or set(option) != {"DefaultValue"}:
                raise template_error("Fn::FindInMap's fourth parameter must be a map with the DefaultValue key")
            default = parse(option["DefaultValue"])
        return cls(*keys, default)

    def arguments(self) -> tuple[Expr, ...]:
        return (self.map_name, self.top_key, self.second_key) + (() if self.default is NO_VALUE else (self.default,))

    def validate(self, scope: Scope) -> None:
        if isinstance(self.map_name, str) and self.map_name not in scope.mappings and self.default is NO_VALUE:
            raise _no_such_mapping(self.map_name)

    def resolve(self, ctx: ResolveContext) -> Any:
        names = [as_string(resolve_expr(key, ctx), "Fn::FindInMap key") for key in
                 (self.map_name, self.top_key, self.second_key)]
        if names[0] not in ctx.mappings and self.default is NO_VALUE:
            raise _no_such_mapping(names[0])
        level: Any = ctx.mappings
        for name in names:
            if not isinstance(level, dict) or name not in level:
                if self.default is not NO_VALUE:
                    return resolve_expr(self.default, ctx)
                raise template_error(f"Unable to get mapping for {'::'.join(names)}")
            level = level[name]
        return level

    def argument_data(self) -> Any:
        data = [to_data(self.map_name), to_data(self.top_key), to_data(self.second_key)]
        if self.default is not NO_VALUE:
            data.append({"DefaultValue": to_data(self.default)})
        return data


@dataclass(frozen=True)
class Base64(Intrinsic):
    function_name = "Fn::Base64"
    value: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Base64":
        value = parse(argument)
        if not isinstance(value, (str, Intrinsic)):
            raise template_error("every Fn::Base64 object must contain a String or a function that returns a String")
        return cls(value)

    def arguments(self) -> tuple[Expr, ...]:
        return (self.value,)

    def resolve(self, ctx: ResolveContext) -> str:
        text = as_string(resolve_expr(self.value, ctx), "Fn::Base64 value")
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    def argument_data(self) -> Any:
        return to_data(self.value)


@dataclass(frozen=True)
class GetAZs(Intrinsic):
    function_name = "Fn::GetAZs"
    region: Expr  # "" (or Ref AWS::Region) means the stack's own region

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "GetAZs":
        region = parse(argument)
        if not isinstance(region, (str, Intrinsic)):
            raise template_error("Fn::GetAZs requires a String or a function that returns a String")
        return cls(region)

    def arguments(self) -> tuple[Expr, ...]:
        return (self.region,)

    def resolve(self, ctx: ResolveContext) -> list[str]:
        region = as_string(resolve_expr(self.region, ctx), "Fn::GetAZs region")
        own_region = ctx.identity.region if ctx.identity else None
        if region and own_region and region != own_region:
            # cfnapi's cloud has one region; AWS returns [] for a region the account cannot use.
            return []
        return list(ctx.require_env("Fn::GetAZs").availability_zones())

    def argument_data(self) -> Any:
        return to_data(self.region)


@dataclass(frozen=True)
class ImportValue(Intrinsic):
    function_name = "Fn::ImportValue"
    export_name: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "ImportValue":
        name = parse(argument)
        if not isinstance(name, (str, Intrinsic)) or name == "":
            raise template_error("every Fn::ImportValue object requires a String or a function that returns a String")
        return cls(name)

    def arguments(self) -> tuple[Expr, ...]:
        return (self.export_name,)

    def validate(self, scope: Scope) -> None:
        for name in self.dependencies():
            if name in scope.resources:
                raise template_error(
                    "the attribute in Fn::ImportValue must not depend on any resources, imported "
                    "values, or Fn::GetAZs"
                )

    def resolve(self, ctx: ResolveContext) -> str:
        name = as_string(resolve_expr(self.export_name, ctx), "Fn::ImportValue name")
        return ctx.require_env("Fn::ImportValue").import_value(name)

    def argument_data(self) -> Any:
        return to_data(self.export_name)


@dataclass(frozen=True)
class Cidr(Intrinsic):
    function_name = "Fn::Cidr"
    ip_block: Expr
    count: Expr
    cidr_bits: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Cidr":
        if not isinstance(argument, list) or len(argument) != 3:
            raise template_error("Fn::Cidr requires a list of three parameters: ipBlock, count and cidrBits")
        return cls(*(parse(item) for item in argument))

    def arguments(self) -> tuple[Expr, ...]:
        return (self.ip_block, self.count, self.cidr_bits)

    def resolve(self, ctx: ResolveContext) -> list[str]:
        block = as_string(resolve_expr(self.ip_block, ctx), "Fn::Cidr ipBlock")
        count = resolve_expr(self.count, ctx)
        bits = resolve_expr(self.cidr_bits, ctx)
        return cidr_blocks(block, count, bits)

    def argument_data(self) -> Any:
        return [to_data(self.ip_block), to_data(self.count), to_data(self.cidr_bits)]


@dataclass(frozen=True)
class Length(Intrinsic):
    """AWS::LanguageExtensions: the number of items in a list."""

    function_name = "Fn::Length"
    values: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "Length":
        values = parse(argument)
        if not isinstance(values, (list, Intrinsic)):
            raise template_error("Fn::Length requires a list or a function that returns a list")
        return cls(values)

    def arguments(self) -> tuple[Expr, ...]:
        return (self.values,)

    def resolve(self, ctx: ResolveContext) -> int:
        return len(_resolve_list(self.values, ctx, "Fn::Length argument"))

    def argument_data(self) -> Any:
        return to_data(self.values)


@dataclass(frozen=True)
class ToJsonString(Intrinsic):
    """AWS::LanguageExtensions: a map or list serialised as compact JSON."""

    function_name = "Fn::ToJsonString"
    value: Expr

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "ToJsonString":
        value = parse(argument)
        if not isinstance(value, (dict, list, Intrinsic)):
            raise template_error("Fn::ToJsonString requires a map or a list")
        return cls(value)

    def arguments(self) -> tuple[Expr, ...]:
        return (self.value,)

    def resolve(self, ctx: ResolveContext) -> str:
        return json.dumps(resolve_expr(self.value, ctx), separators=(",", ":"))

    def argument_data(self) -> Any:
        return to_data(self.value)


@dataclass(frozen=True)
class UnprocessedTransform(Intrinsic):
    """An Fn::Transform whose macro cfnapi does not run (AWS::Include is expanded before parsing)."""

    function_name = "Fn::Transform"
    argument: Any

    @classmethod
    def from_argument(cls, argument: Any, parse: Parse) -> "UnprocessedTransform":
        name = argument.get("Name") if isinstance(argument, dict) else None
        raise template_error(f"Transform {name} is not supported")

    def resolve(self, ctx: ResolveContext) -> Any:  # pragma: no cover - never constructed
        raise template_error("Fn::Transform was not processed")

    def argument_data(self) -> Any:  # pragma: no cover
        return self.argument

