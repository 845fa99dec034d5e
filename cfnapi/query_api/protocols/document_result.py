"""Results as a document tree for JSON, CBOR and the query protocol's JSON form.

The same walk over the output shape serves all three; they differ only in how
a timestamp and a blob are written and what a member is called. Members that are absent or None are left out.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime

from . import traits
from .timestamps import parse_timestamp

TimestampWriter = Callable[[object, datetime], object]  # (shape, value) -> wire value
BlobWriter = Callable[[bytes], object]
MemberNamer = Callable[[object, str], str]  # (member shape, member name) -> key in the document


def base64_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def as_bytes(value) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class DocumentResultWriter:
    def __init__(self, *, timestamp: TimestampWriter, blob: BlobWriter, member_name: MemberNamer = traits.wire_name):
        self._timestamp = timestamp
        self._blob = blob
        self._member_name = member_name
        # structure shape -> [(member name, key in the document, member shape)], worked out
        # once per shape: a week of hourly datapoints is 168 structures per response.
        self._members: dict[object, list[tuple[str, str, object]]] = {}

    def write(self, shape, value):
        type_name = shape.type_name
        if type_name == "structure":
            if shape.is_document_type:
                return value
            return self._structure(shape, value)
        if type_name == "list":
            return [self.write(shape.member, item) for item in value if item is not None]
        if type_name == "map":
            return {str(k): self.write(shape.value, v) for k, v in value.items() if v is not None}
        if type_name == "timestamp":
            return self._timestamp(shape, parse_timestamp(value))
        if type_name == "blob":
            return self._blob(as_bytes(value))
        if type_name == "boolean":
            return bool(value)
        if type_name in ("integer", "long"):
            return int(value)
        if type_name in ("float", "double"):
            return float(value)
        return value if isinstance(value, str) else str(value)

    def _structure(self, shape, value: dict) -> dict:
        document = {}
        for name, key, member_shape in self._members_of(shape):
            member_value = value.get(name)
            if member_value is None:
                continue
            document[key] = self.write(member_shape, member_value)
        return document

    def _members_of(self, shape) -> list[tuple[str, str, object]]:
        members = self._members.get(shape)
        if members is None:
            members = [(name, self._member_name(member_shape, name), member_shape)
                       for name, member_shape in shape.members.items()]
            self._members[shape] = members
        return members
