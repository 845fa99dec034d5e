"""The HTTP request and response as the protocols see them: plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class WireRequest:
    """Built by the WSGI app from the HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]  # the parsed query string
    headers: Mapping[str, str]  # case-insensitive (werkzeug Headers or similar)
    body: bytes  # already gunzipped if Content-Encoding was gzip

    def header(self, name: str) -> str:
        """A header's value, or "" — looked up case-insensitively even for a plain dict."""
        value = self.headers.get(name)
        if value is None:
            lowered = name.lower()
            value = next((v for k, v in self.headers.items() if k.lower() == lowered), None)
        return value or ""

    @property
    def media_type(self) -> str:
        """The Content-Type without its parameters, lower-cased."""
        return self.header("Content-Type").split(";")[0].strip().lower()


@dataclass(frozen=True)
class WireResponse:
    status: int
    headers: dict[str, str]
    body: bytes
