"""Fetching a template from a TemplateURL, safely.

http(s) with a size limit (AWS: 1 MB for TemplateURL templates) and a time
limit; loopback, link-local and private addresses are refused unless the
operator allows them (a TemplateURL must not become a way to probe the
network cfnapi sits in); ``file://`` only below a configured directory.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from cfnapi.errors import validation_error

MAX_TEMPLATE_URL_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TemplateUrlPolicy:
    allow_private_addresses: bool = False
    file_root: Path | None = None  # file:// URLs allowed below this directory
    timeout_seconds: float = 10.0
    max_bytes: int = MAX_TEMPLATE_URL_BYTES


def fetch_template(url: str, policy: TemplateUrlPolicy) -> str:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return _read_file(parsed, policy)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise validation_error("TemplateURL must be a supported URL.")
    if not policy.allow_private_addresses:
        _refuse_private(parsed.hostname)
    request = urllib.request.Request(url, headers={"User-Agent": "cfnapi"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=policy.timeout_seconds) as response:
            data = response.read(policy.max_bytes + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise validation_error(f"Error occurred while fetching the template from the TemplateURL: {exc}") from exc
    return _decode(data, policy)


def _read_file(parsed, policy: TemplateUrlPolicy) -> str:
    if policy.file_root is None:
        raise validation_error("TemplateURL must be a supported URL.")
    root = policy.file_root.resolve()
    path = Path(unquote(parsed.path)).resolve()
    if root != path and root not in path.parents:
        raise validation_error("TemplateURL must be a supported URL.")
    try:
        with path.open("rb") as handle:
            return _decode(handle.read(policy.max_bytes + 1), policy)
    except OSError as exc:
        raise validation_error(f"Error occurred while fetching the template from the TemplateURL: {exc.strerror}") from exc


def _decode(data: bytes, policy: TemplateUrlPolicy) -> str:
    if len(data) > policy.max_bytes:
        raise validation_error(
            f"Template may not exceed {policy.max_bytes} bytes in size."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise validation_error("Template format error: the template is not valid UTF-8.") from exc


def _refuse_private(hostname: str) -> None:
    try:
        infos = socket.getaddrinfo(hostname, None)
    except socket.gaierror as exc:
        raise validation_error(f"Error occurred while fetching the template from the TemplateURL: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise validation_error(
                f"TemplateURL host {hostname} resolves to a non-public address; "
                "allow private addresses in cfnapi's configuration to use it."
            )
