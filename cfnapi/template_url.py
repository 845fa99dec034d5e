"""Fetching a template from a TemplateURL, safely.

http(s) with a size limit (AWS: 1 MB for TemplateURL templates) and one
deadline for the whole fetch; loopback, link-local, private and other
non-global addresses are refused unless the operator allows them (a
TemplateURL must not become a way to probe the network cfnapi sits in);
``file://`` only below a configured directory.

The host name is resolved once and the connection is made to the address
that was checked, so a name that resolves to a public address for the check
and to a private one for the connection (DNS rebinding) gains nothing.
Redirects are followed by hand, each hop checked the same way.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from cfnapi.errors import validation_error

MAX_TEMPLATE_URL_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class TemplateUrlPolicy:
    allow_private_addresses: bool = False
    file_root: Path | None = None  # file:// URLs allowed below this directory
    timeout_seconds: float = 10.0  # for the whole fetch, redirects included
    max_bytes: int = MAX_TEMPLATE_URL_BYTES


def fetch_template(url: str, policy: TemplateUrlPolicy) -> str:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return _read_file(parsed, policy)
    deadline = time.monotonic() + policy.timeout_seconds
    for _hop in range(MAX_REDIRECTS + 1):
        status, location, data = _get(url, policy, deadline)
        if status in _REDIRECT_STATUSES and location:
            url = urljoin(url, location)
            continue
        if status != 200:
            raise _fetch_error(f"HTTP status {status}")
        return _decode(data, policy)
    raise _fetch_error(f"more than {MAX_REDIRECTS} redirects")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a TemplateURL may reach this address without the operator's leave."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _get(url: str, policy: TemplateUrlPolicy, deadline: float) -> tuple[int, str | None, bytes]:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise validation_error("TemplateURL must be a supported URL.")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError as exc:
        raise validation_error("TemplateURL must be a supported URL.") from exc
    address = _checked_address(parsed.hostname, port, policy)
    connection_class = _PinnedHTTPSConnection if parsed.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parsed.hostname, port, address, timeout=_remaining(deadline))
    path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    try:
        connection.request("GET", path, headers={"User-Agent": "cfnapi", "Accept-Encoding": "identity"})
        response = connection.getresponse()
        if response.status in _REDIRECT_STATUSES:
            return response.status, response.getheader("Location"), b""
        return response.status, None, _read_limited(connection, response, policy.max_bytes + 1, deadline)
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        raise _fetch_error(str(exc) or type(exc).__name__) from exc
    finally:
        connection.close()


def _checked_address(hostname: str, port: int, policy: TemplateUrlPolicy) -> str:
    try:
        infos = _resolve(hostname, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise _fetch_error(str(exc)) from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise _fetch_error(f"{hostname} has no address")
    if not policy.allow_private_addresses:
        for address in addresses:
            if not is_public_address(ipaddress.ip_address(address.split("%", 1)[0])):
                raise validation_error(
                    f"TemplateURL host {hostname} resolves to a non-public address; "
                    "allow private addresses in cfnapi's configuration to use it."
                )
    return addresses[0]


def _resolve(hostname: str, port: int):
    return socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)


def _read_limited(connection, response, limit: int, deadline: float) -> bytes:
    """Read at most ``limit`` bytes, giving up at the deadline however slowly they come."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        # The connection may have handed its socket to the response already
        # (HTTP/1.0, Connection: close), so the socket kept at connect is used.
        connection.raw_socket.settimeout(_remaining(deadline))
        chunk = response.read1(min(_READ_CHUNK, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _fetch_error("timed out")
    return left


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._pinned_address = address

    def connect(self) -> None:
        self.sock = self.raw_socket = socket.create_connection((self._pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=_tls_context())
        self._pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._pinned_address, self.port), self.timeout)
        self.sock = self.raw_socket = self._context.wrap_socket(sock, server_hostname=self.host)


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _fetch_error(detail: str):
    return validation_error(f"Error occurred while fetching the template from the TemplateURL: {detail}")


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
        raise _fetch_error(exc.strerror or str(exc)) from exc


def _decode(data: bytes, policy: TemplateUrlPolicy) -> str:
    if len(data) > policy.max_bytes:
        raise validation_error(
            f"Template may not exceed {policy.max_bytes} bytes in size."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise validation_error("Template format error: the template is not valid UTF-8.") from exc
