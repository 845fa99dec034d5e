"""Text → plain data: JSON or YAML (with CloudFormation's short-form tags).

The result is plain dicts/lists/scalars with every short-form tag rewritten
to its long form (``!Ref X`` → ``{"Ref": "X"}``), so everything after this
module sees one shape whichever syntax the user wrote.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from cfnapi.template.errors import TemplateError, format_error

TEMPLATE_BODY_MAX_BYTES = 51_200
TEMPLATE_URL_MAX_BYTES = 1_024 * 1_024

# Upper bound on the number of nodes a YAML document may expand to once its
# aliases are followed: far above any real template (a 1 MB template has
# well under 100k nodes) yet small enough that a "billion laughs" document
# is rejected before anything walks it.
MAX_EXPANDED_YAML_NODES = 200_000
MAX_YAML_ALIASES = 1_000

# Tags whose long form is "Fn::<Name>"; !Ref and !Condition have no prefix.
_FN_TAGS = (
    "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select",
    "Split", "Sub", "Transform", "If", "Equals", "And", "Or", "Not",
    "Length", "ToJsonString", "Contains", "EachMemberEquals", "EachMemberIn",
    "RefAll", "ValueOf", "ValueOfAll",
)


def load_template_data(body: str | bytes, *, max_bytes: int = TEMPLATE_BODY_MAX_BYTES) -> tuple[str, Any]:
    """Decode, size-check and parse a template body; returns (text, data)."""
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    if len(raw) > max_bytes:
        raise TemplateError(
            "1 validation error detected: Value at 'templateBody' failed to satisfy "
            f"constraint: Member must have length less than or equal to {max_bytes}"
        )
    try:
        text = raw.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise format_error("template is not valid UTF-8") from None
    if not text.strip():
        raise format_error("At least one Resources member must be defined.")
    return text, parse_document(text)


def parse_document(text: str) -> Any:
    """JSON when the text starts with "{", else YAML — CloudFormation's rule."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise format_error(f"JSON not well-formed. (line {exc.lineno}, column {exc.colno})") from None
    return load_yaml(text)


def load_yaml(text: str) -> Any:
    loader = TemplateYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _yaml_error(mark) from None
    except yaml.YAMLError:
        raise format_error("YAML not well-formed.") from None
    finally:
        loader.dispose()


def _yaml_error(mark: Any) -> TemplateError:
    if mark is None:
        return format_error("YAML not well-formed.")
    return format_error(f"YAML not well-formed. (line {mark.line + 1}, column {mark.column + 1})")


def _check_expansion(root: yaml.Node) -> None:
    """Reject documents whose aliases would expand past MAX_EXPANDED_YAML_NODES."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(child), 0) for child in children)
        if total > MAX_EXPANDED_YAML_NODES:
            raise format_error(
                "YAML not well-formed. Aliases expand the document beyond "
                f"{MAX_EXPANDED_YAML_NODES} nodes."
            )
        sizes[id(node)] = total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class TemplateYamlLoader(yaml.SafeLoader):
    """SafeLoader with CloudFormation's tags and string dates.

    Everything else is YAML 1.1, as CloudFormation's own parser reads it:
    yes/no/on/off are booleans, 0755 is octal (493), 0x1F hex, 1:30
    sexagesimal (90), y/n stay strings. A duplicate key is not an error:
    CloudFormation keeps the last value (for JSON too), so the same does here.
    """

    # Copy the resolvers so removing the timestamp one does not touch SafeLoader:
    # "2010-09-09" and "2012-10-17" must stay strings, as they do on AWS.
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str):
        super().__init__(stream)
        self._alias_uses = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._alias_uses += 1
            if self._alias_uses > MAX_YAML_ALIASES:
                event = self.peek_event()
                raise yaml.MarkedYAMLError(
                    problem=f"more than {MAX_YAML_ALIASES} aliases", problem_mark=event.start_mark
                )
        return super().compose_node(parent, index)


def _construct_any(loader: TemplateYamlLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _long_form(long_name: str):
    def construct(loader: TemplateYamlLoader, node: yaml.Node) -> dict:
        return {long_name: _construct_any(loader, node)}

    return construct


def _construct_get_att(loader: TemplateYamlLoader, node: yaml.Node) -> dict:
    value = _construct_any(loader, node)
    if isinstance(value, str):
        # Only the first dot separates: !GetAtt Stack.Outputs.Url → [Stack, Outputs.Url].
        resource, dot, attribute = value.partition(".")
        value = [resource, attribute] if dot else [value]
    return {"Fn::GetAtt": value}


TemplateYamlLoader.add_constructor("!Ref", _long_form("Ref"))
TemplateYamlLoader.add_constructor("!Condition", _long_form("Condition"))
TemplateYamlLoader.add_constructor("!GetAtt", _construct_get_att)
for _name in _FN_TAGS:
    TemplateYamlLoader.add_constructor(f"!{_name}", _long_form(f"Fn::{_name}"))
