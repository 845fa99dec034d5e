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

TimestampWriter = Callable[[object], Callable[[datetime], object]]  # shape -> (value -> wire value)
BlobWriter = Callable[[bytes], object]
MemberNamer = Callable[[object, str], str]  # (member shape, member name) -> key in the document


def base64_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def as_bytes(value) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


Writer = Callable[[object], object]  # one shape's value -> its document form


class DocumentResultWriter:
    """Writes a result by its output shape. Each shape is worked out once into a small
    function (a week of hourly datapoints is 168 structures, about 1,350 values, per
    response): no per-value dispatch on the shape's type, and a structure walks only the
    members its value holds."""

    def __init__(self, *, timestamp: TimestampWriter, blob: BlobWriter, member_name: MemberNamer = traits.wire_name):
        self._timestamp = timestamp
        self._blob = blob
        self._member_name = member_name
        self._writers: dict[object, Writer] = {}

    def write(self, shape, value):
        return self._writer_for(shape)(value)

    def _writer_for(self, shape) -> Writer:
        writer = self._writers.get(shape)
        if writer is None:
            writer = self._writers[shape] = self._build(shape)
        return writer

    def _build(self, shape) -> Writer:
        type_name = shape.type_name
        if type_name == "structure":
            return _same if shape.is_document_type else self._structure(shape)
        if type_name == "list":
            return self._list(shape)
        if type_name == "map":
            return self._map(shape)
        if type_name == "timestamp":
            timestamp = self._timestamp(shape)
            return lambda value: timestamp(parse_timestamp(value))
        if type_name == "blob":
            blob = self._blob
            return lambda value: blob(as_bytes(value))
        return _SCALARS.get(type_name, _text)

    def _structure(self, shape) -> Writer:
        # Filled on first use, not here: a shape may contain itself.
        members: dict[str, tuple[str, Writer]] = {}

        def write(value: dict) -> dict:
            if not members:
                for name, member_shape in shape.members.items():
                    members[name] = (self._member_name(member_shape, name), self._writer_for(member_shape))
            document = {}
            for name, member_value in value.items():
                member = members.get(name)
                if member is not None and member_value is not None:
                    document[member[0]] = member[1](member_value)
            return document
        return write

    def _list(self, shape) -> Writer:
        def write(value) -> list:
            item = self._writer_for(shape.member)
            return [item(v) for v in value if v is not None]
        return write

    def _map(self, shape) -> Writer:
        def write(value) -> dict:
            item = self._writer_for(shape.value)
            return {str(k): item(v) for k, v in value.items() if v is not None}
        return write


def _same(value):
    return value


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


_SCALARS: dict[str, Writer] = {"boolean": bool, "integer": int, "long": int, "float": float, "double": float}
