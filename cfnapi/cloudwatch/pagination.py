"""Opaque NextToken values: a signed-free offset encoding, rejected when tampered with."""

from __future__ import annotations

import base64
import json

from cfnapi.errors import ServiceError


def encode_token(offset: int, scope: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "s": scope}).encode()).decode()


def decode_token(token: str | None, scope: str) -> int:
    """Offset carried by ``token`` (0 when absent); ``scope`` ties it to its operation."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["s"] != scope or not isinstance(data["o"], int) or data["o"] < 0:
            raise ValueError
        return data["o"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ServiceError("InvalidNextToken", "The service couldn't process the NextToken.") from exc


def page(items: list, token: str | None, size: int, scope: str) -> tuple[list, str | None]:
    start = decode_token(token, scope)
    chunk = items[start:start + size]
    following = start + size
    return chunk, (encode_token(following, scope) if following < len(items) else None)
