"""Opaque NextToken pagination with AWS's page sizes.

A token names the operation and the position after the last item returned,
signed with nothing but checked for shape: a token from another operation or
a corrupted one is a ``ValidationError``, as on AWS. Positions are offsets,
except for events, which page by sequence number so that new events arriving
between pages do not shift the ones a client has not read yet.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from cfnapi.errors import validation_error

T = TypeVar("T")

# Items per page, as AWS returns them.
PAGE_SIZES = {
    "DescribeStacks": 100,
    "DescribeStackEvents": 100,
    "ListStacks": 100,
    "ListStackResources": 100,
    "ListExports": 100,
    "ListImports": 100,
    "ListChangeSets": 100,
}


def encode_token(operation: str, position: int) -> str:
    raw = json.dumps({"op": operation, "at": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(operation: str, token: str | None) -> int | None:
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["op"] == operation and isinstance(data["at"], int) and data["at"] >= 0:
            return data["at"]
    except (ValueError, KeyError, TypeError):
        pass
    raise validation_error("Invalid NextToken")


def page(operation: str, items: Sequence[T], token: str | None, size: int | None = None) -> tuple[list[T], str | None]:
    """One page of an already ordered list, and the token for the next (None at the end)."""
    size = size or PAGE_SIZES[operation]
    start = decode_token(operation, token) or 0
    chunk = list(items[start : start + size])
    more = start + size < len(items)
    return chunk, encode_token(operation, start + size) if more else None


def with_token(result: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        result["NextToken"] = token
    return result
