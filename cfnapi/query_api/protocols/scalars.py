"""Reading scalar values out of a request, one function per model type.

``from_text`` reads the query protocol's strings; ``from_document`` checks
the already-typed values a JSON or CBOR decoder produced. Both raise
``UnusableValue`` naming what was expected; the caller knows the path and the
service's wording.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import datetime

from .timestamps import BadTimestamp, parse_timestamp


class UnusableValue(ValueError):
    """``expected`` completes "must be …" in the error message."""

    def __init__(self, expected: str):
        super().__init__(expected)
        self.expected = expected


EXPECTED = {
    "integer": "an integer",
    "long": "an integer",
    "float": "a number",
    "double": "a number",
    "boolean": "true or false",
    "timestamp": "a timestamp (ISO-8601 or epoch seconds)",
    "blob": "base64-encoded binary data",
    "string": "a string",
}

# Non-finite numbers as botocore writes them (JSON has no literal for them).
_SPECIAL_FLOATS = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf, "inf": math.inf, "-inf": -math.inf}


# ASCII digits only: Python's int() and float() would also take "1_000" and "²".
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")

# The model's integer is 32 bits and long 64, as every AWS SDK declares them.
_INTEGER_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _unusable(type_name: str) -> UnusableValue:
    return UnusableValue(EXPECTED.get(type_name, f"of type {type_name}"))


def _in_range(type_name: str, value: int) -> int:
    low, high = _INTEGER_RANGE[type_name]
    if not low <= value <= high:
        raise UnusableValue(f"an integer between {low} and {high}")
    return value


def _int_from_text(text: str, type_name: str = "integer") -> int:
    stripped = text.strip()
    if not _INTEGER_TEXT.fullmatch(stripped):
        raise _unusable(type_name)
    return _in_range(type_name, int(stripped))


def _float_from_text(text: str) -> float:
    stripped = text.strip()
    special = _SPECIAL_FLOATS.get(stripped.lower())
    if special is not None:
        return special
    if not _NUMBER_TEXT.fullmatch(stripped):
        raise _unusable("double")
    return float(stripped)


def _bool_from_text(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise _unusable("boolean")
    return lowered == "true"


def _blob_from_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _unusable("blob") from None


def _timestamp(value: object) -> datetime:
    try:
        return parse_timestamp(value)
    except BadTimestamp:
        raise _unusable("timestamp") from None


_FROM_TEXT = {
    "string": str,
    "character": str,
    "integer": _int_from_text,
    "long": lambda text: _int_from_text(text, "long"),
    "float": _float_from_text,
    "double": _float_from_text,
    "boolean": _bool_from_text,
    "timestamp": _timestamp,
    "blob": _blob_from_base64,
}


def from_text(shape, text: str):
    """A query-protocol string as the member's model type."""
    convert = _FROM_TEXT.get(shape.type_name, str)
    return convert(text)


def from_document(shape, value, *, blobs_are_base64: bool):
    """A JSON/CBOR value checked (and where needed converted) to the model type."""
    type_name = shape.type_name
    if type_name in ("string", "character"):
        if isinstance(value, str):
            return value
    elif type_name in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return _in_range(type_name, value)
    elif type_name in ("float", "double"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value.lower() in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value.lower()]
    elif type_name == "boolean":
        if isinstance(value, bool):
            return value
    elif type_name == "timestamp":
        if not isinstance(value, bool):
            return _timestamp(value)
    elif type_name == "blob":
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, str):
            return _blob_from_base64(value) if blobs_are_base64 else value.encode("utf-8")
    else:
        return value
    raise _unusable(type_name)
