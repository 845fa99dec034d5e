"""Query protocol requests: flat form parameters back into botocore's params.

``Tags.member.1.Key=a`` becomes ``{"Tags": [{"Key": "a"}]}``. The flat keys are
first arranged into a tree split on dots, then the input shape is walked over
that tree, so a request of a hundred thousand keys costs one pass, and keys
that no member names (``Action``, ``Version``, signature parameters, anything
unknown) are simply never looked at — AWS ignores them too.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import traits
from .scalars import UnusableValue, from_text
from .validation import MissingMembers, Path, ValidationStyle, index, key, member


class _Node:
    """The values and sub-keys found under one dotted key prefix."""

    __slots__ = ("value", "children")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}

    def numbered_children(self) -> list["_Node"]:
        """Children keyed 1, 2, 3… in numeric order (list items, map entries)."""
        numbered = [(int(name), node) for name, node in self.children.items() if name.isascii() and name.isdigit()]
        return [node for _, node in sorted(numbered, key=lambda pair: pair[0])]


def _tree(pairs: Iterable[tuple[str, str]]) -> _Node:
    root = _Node()
    for flat_key, value in pairs:
        node = root
        for part in flat_key.split("."):
            node = node.children.setdefault(part, _Node())
        if node.value is None:  # the first occurrence of a repeated key wins
            node.value = value
    return root


class QueryParamsReader:
    def __init__(self, style: ValidationStyle):
        self.style = style
        self.missing = MissingMembers()

    def read(self, input_shape, pairs: Iterable[tuple[str, str]]) -> dict:
        if input_shape is None:
            return {}
        params = self._structure(input_shape, _tree(pairs), ())
        self.missing.raise_if_any(self.style)
        return params

    def _value(self, shape, node: _Node, path: Path):
        """The value under ``node`` as ``shape``, or None when nothing usable is there."""
        type_name = shape.type_name
        if type_name == "structure":
            return self._structure(shape, node, path)
        if type_name == "list":
            return self._list(shape, node, path)
        if type_name == "map":
            return self._map(shape, node, path)
        if node.value is None:
            return None
        try:
            return from_text(shape, node.value)
        except UnusableValue as problem:
            raise self.style.bad_value(path, node.value, problem.expected) from None

    def _structure(self, shape, node: _Node, path: Path) -> dict:
        params = {}
        for name, member_shape in shape.members.items():
            child = node.children.get(traits.query_member_name(member_shape, name))
            if child is None:
                continue
            value = self._value(member_shape, child, member(path, name))
            if value is not None:
                params[name] = value
        self.missing.check(shape, params, path)
        return params

    def _list(self, shape, node: _Node, path: Path) -> list | None:
        if traits.is_flattened(shape):
            items_node = node
        else:
            items_node = node.children.get(traits.list_item_name(shape))
            if items_node is None:
                # ``Foo=`` with nothing under it is how the query protocol sends an empty list.
                return [] if node.value == "" else None
        items = []
        for position, item_node in enumerate(items_node.numbered_children(), 1):
            value = self._value(shape.member, item_node, index(path, position))
            if value is not None:
                items.append(value)
        return items

    def _map(self, shape, node: _Node, path: Path) -> dict | None:
        entries_node = node if traits.is_flattened(shape) else node.children.get("entry")
        if entries_node is None:
            return {} if node.value == "" else None
        key_name, value_name = traits.map_key_name(shape), traits.map_value_name(shape)
        result = {}
        for entry in entries_node.numbered_children():
            key_node, value_node = entry.children.get(key_name), entry.children.get(value_name)
            if key_node is None or key_node.value is None or value_node is None:
                continue
            value = self._value(shape.value, value_node, key(path, key_node.value))
            if value is not None:
                result[key_node.value] = value
        return result
