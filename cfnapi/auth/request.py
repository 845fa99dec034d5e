"""What the verifier is given, and what it hands back.

The HTTP layer builds a ``SignedRequest`` from the raw request exactly as it
arrived; everything here is pure and never touches sockets or WSGI.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

SIGV4 = "4"
SIGV4_PRESIGNED = "4-presigned"
SIGV2 = "2"


@dataclass(frozen=True)
class SignedRequest:
    """One HTTP request as the client signed it.

    ``query`` and ``form`` hold *decoded* pairs, in the order received, as
    ``urllib.parse.parse_qsl(text, keep_blank_values=True)`` returns them; the
    verifier re-encodes them the way the signing rules prescribe. ``path`` is
    the raw, still percent-encoded path. ``body`` is the raw body as signed
    (before any Content-Encoding is undone).
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes
    host: str
    form: list[tuple[str, str]] | None = None

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup that works for plain dicts too (the first one sent wins)."""
        return self._headers_by_lower_name.get(name.lower())

    @functools.cached_property
    def _headers_by_lower_name(self) -> dict[str, str]:
        # A SigV4 check looks up about ten headers: index them once instead of scanning each time.
        found: dict[str, str] = {}
        for key, value in self.headers.items():
            found.setdefault(key.lower(), value)
        return found


@dataclass(frozen=True)
class VerifiedCaller:
    """Who signed the request, and with which credential scope."""

    access_key_id: str
    account_id: str
    region: str | None  # from the SigV4 credential scope; None for SigV2
    service: str | None
    signature_version: str  # SIGV4 | SIGV2 | SIGV4_PRESIGNED
