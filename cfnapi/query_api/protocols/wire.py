"""The HTTP request and response as the protocols see them: plain data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class WireRequest:
    """Built by the WSGI app from the HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]  # the parsed query string
    headers: Mapping[str, str]  # case-insensitive (werkzeug Headers or similar)
    body: bytes  # already gunzipped if Content-Encoding was gzip
    # What is decoded from this request once and read several times (the query
    # protocol's form pairs: the action, ContentType and the parameters come from them).
    _decoded: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def decoded(self, key: str, decode: Callable[[], T]) -> T:
        """``decode()``'s result, computed on the first call for ``key`` only."""
        if key not in self._decoded:
            self._decoded[key] = decode()
        return self._decoded[key]

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
