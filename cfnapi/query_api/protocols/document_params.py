"""JSON and CBOR requests: a decoded document checked against the input shape.

The document already has types; this walk drops unknown keys and nulls,
converts what the format cannot carry natively (base64 blobs and epoch
timestamps in JSON), and rejects values of the wrong type.
"""

from __future__ import annotations

from functools import lru_cache

from . import traits
from .scalars import UnusableValue, from_document
from .validation import MissingMembers, Path, ValidationStyle, index, key, member, serialization_error


def _type_label(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(type(value), type(value).__name__)


class DocumentParamsReader:
    def __init__(self, style: ValidationStyle, *, blobs_are_base64: bool):
        self.style = style
        self.blobs_are_base64 = blobs_are_base64
        self.missing = MissingMembers()

    def read(self, input_shape, document) -> dict:
        if input_shape is None:
            return {}
        if document is None:
            document = {}
        params = self._structure(input_shape, document, ())
        self.missing.raise_if_any(self.style)
        return params

    def _mismatch(self, path: Path, value, expected: str):
        where = dotted_path(path) or "the request body"
        return serialization_error(f"Expected {expected} at {where} but found {_type_label(value)}.")

    def _value(self, shape, value, path: Path):
        type_name = shape.type_name
        if type_name == "structure" and not shape.is_document_type:
            return self._structure(shape, value, path)
        if type_name == "list":
            return self._list(shape, value, path)
        if type_name == "map":
            return self._map(shape, value, path)
        try:
            return from_document(shape, value, blobs_are_base64=self.blobs_are_base64)
        except UnusableValue as problem:
            raise self._mismatch(path, value, problem.expected) from None

    def _structure(self, shape, value, path: Path) -> dict:
        if not isinstance(value, dict):
            raise self._mismatch(path, value, "an object")
        params = {}
        for name, wire, member_shape in _members_of(shape):
            raw = value.get(wire)
            if raw is None and wire != name:
                raw = value.get(name)
            if raw is None:
                continue
            params[name] = self._value(member_shape, raw, member(path, name))
        self.missing.check(shape, params, path)
        return params

    def _list(self, shape, value, path: Path) -> list:
        if not isinstance(value, list):
            raise self._mismatch(path, value, "an array")
        if shape.member.type_name in ("float", "double"):
            numbers = _plain_numbers(value)
            if numbers is not None:
                return numbers
        return [
            self._value(shape.member, item, index(path, position))
            for position, item in enumerate(value, 1)
            if item is not None
        ]

    def _map(self, shape, value, path: Path) -> dict:
        if not isinstance(value, dict):
            raise self._mismatch(path, value, "an object")
        result = {}
        for map_key, item in value.items():
            if item is None:
                continue
            if not isinstance(map_key, str):
                raise self._mismatch(path, map_key, "string map keys")
            result[map_key] = self._value(shape.value, item, key(path, map_key))
        return result


@lru_cache(maxsize=4096)
def _members_of(shape) -> tuple[tuple[str, str, object], ...]:
    """(member name, name on the wire, member shape) of a structure, worked out once per shape."""
    return tuple((name, traits.wire_name(member_shape, name), member_shape)
                 for name, member_shape in shape.members.items())


def _plain_numbers(values: list) -> list[float] | None:
    """A list of JSON/CBOR numbers as floats, in one pass; None when any item needs the
    per-item walk (null, bool, "NaN"-style strings, wrong types). PutMetricData's
    Values and Counts carry up to 150 numbers per metric, 150,000 per request."""
    if all(type(v) is float or type(v) is int for v in values):
        return [float(v) for v in values]
    return None


def dotted_path(path: Path) -> str:
    """A member path in the dotted form AWS's JSON errors use (``MetricData.1.Value``)."""
    return ".".join(step.name for step in path)
