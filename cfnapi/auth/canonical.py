"""Canonical forms shared by the signature versions (AWS's documented rules)."""

from __future__ import annotations

from urllib.parse import quote

# RFC 3986 unreserved characters are the only ones AWS leaves unencoded.
_UNRESERVED = "-_.~"


def uri_encode(text: str) -> str:
    """Percent-encode everything but RFC 3986 unreserved characters (UTF-8)."""
    return quote(text.encode("utf-8"), safe=_UNRESERVED)


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    """SigV4 canonical query: encode names and values, sort by name then value."""
    encoded = sorted((uri_encode(name), uri_encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, plus collapsing empty segments as AWS services do."""
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and kept else ""
    return leading + "/".join(kept) + trailing


def canonical_uri(raw_path: str) -> str:
    """SigV4 canonical URI for every service but S3.

    The raw path is already percent-encoded once by the client; AWS encodes it
    once more (so ``%20`` becomes ``%2520``), which is what SDKs sign.
    """
    return quote(remove_dot_segments(raw_path or "/"), safe="/~")


def trim_header_value(value: str) -> str:
    """SigV4 Trimall: strip and collapse runs of whitespace to one space."""
    return " ".join(value.split())
