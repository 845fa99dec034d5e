"""Serialization traits of botocore shapes, read in one place.

The query protocol names things differently from the member names: a
``locationName`` renames a member, a list's members are ``member`` unless the
member shape is named, maps are ``entry``/``key``/``value``, and flattened
lists and maps drop their wrapper element.
"""

from __future__ import annotations


def wire_name(member_shape, member_name: str) -> str:
    """A member's name on the wire (JSON and XML): its locationName, if any."""
    return member_shape.serialization.get("name") or member_name


def is_flattened(shape) -> bool:
    return bool(shape.serialization.get("flattened"))


def list_item_name(list_shape) -> str:
    """The element name of one item of a non-flattened list."""
    return list_shape.member.serialization.get("name") or "member"


def query_member_name(member_shape, member_name: str) -> str:
    """A member's key segment in a query request (``Foo`` in ``Foo.member.1``).

    A flattened list whose member shape is named takes the member's name
    (``Foo.1`` becomes ``Item.1``), as botocore's QuerySerializer writes it.
    """
    if member_shape.type_name == "list" and is_flattened(member_shape):
        item_name = member_shape.member.serialization.get("name")
        if item_name:
            return item_name
    return wire_name(member_shape, member_name)


def xml_member_name(member_shape, member_name: str) -> str:
    """A member's element name in an XML response (same rule as in requests)."""
    return query_member_name(member_shape, member_name)


def map_key_name(map_shape) -> str:
    return map_shape.key.serialization.get("name") or "key"


def map_value_name(map_shape) -> str:
    return map_shape.value.serialization.get("name") or "value"


def result_wrapper(operation_model) -> str:
    """The element wrapping a query response's result (``DescribeStacksResult``)."""
    output = operation_model.output_shape
    if output is not None and output.serialization.get("resultWrapper"):
        return output.serialization["resultWrapper"]
    return f"{operation_model.name}Result"
