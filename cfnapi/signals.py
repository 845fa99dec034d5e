"""Presigned wait-condition handle URLs: minting them and receiving signals.

A handle's ``Ref`` is a URL on this server that an agent (cfn-signal, curl)
PUTs a JSON signal to with no AWS credentials, as on AWS, where it is a
presigned S3 URL. The URL names the stack and the handle and carries an
expiry and an HMAC over method, path and expiry made with a server secret;
so a URL can signal only the handle it names, only until it expires, and
any change to it is refused.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Request, Response

from cfnapi.auth.models import ServerSecretRow
from cfnapi.db import Database
from cfnapi.errors import ServiceError
from cfnapi.query_api.app import raw_path

SIGNAL_PATH_PREFIX = "/waitcondition/"
SIGNAL_URL_LIFETIME_SECONDS = 24 * 3600  # AWS's handle URLs are valid for 24 hours
MAX_SIGNAL_BYTES = 64 * 1024


def server_secret(db: Database, name: str) -> bytes:
    """Get, or create once (race-safe), a random secret shared by every process."""
    with db.transaction() as session:
        value = session.scalar(select(ServerSecretRow.value).where(ServerSecretRow.name == name))
    if value is None:
        try:
            with db.transaction() as session:
                session.add(ServerSecretRow(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first
        with db.transaction() as session:
            value = session.scalar(select(ServerSecretRow.value).where(ServerSecretRow.name == name))
    return bytes.fromhex(value)


@dataclass(frozen=True)
class SignalTarget:
    account_id: str
    stack_id: str
    logical_id: str


class SignalUrls:
    def __init__(self, key: bytes, base_url: str, lifetime: int = SIGNAL_URL_LIFETIME_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.key = key
        self.base_url = base_url.rstrip("/")
        self.lifetime = lifetime
        self.clock = clock

    def path_for(self, target: SignalTarget) -> str:
        parts = (target.account_id, target.stack_id, target.logical_id)
        return SIGNAL_PATH_PREFIX + "/".join(_quoted(part) for part in parts)

    def url(self, target: SignalTarget) -> str:
        path = self.path_for(target)
        expires = int(self.clock()) + self.lifetime
        return f"{self.base_url}{path}?Expires={expires}&Signature={self._sign('PUT', path, expires)}"

    def verify(self, method: str, raw_path: str, expires: str, signature: str) -> SignalTarget | None:
        """The target a signed URL names, or None if it is altered, expired or malformed."""
        if method not in ("PUT", "POST") or not expires.isdigit():
            return None
        expected = self._sign("PUT", raw_path, int(expires))
        if not hmac.compare_digest(expected, signature) or int(expires) < self.clock():
            return None
        parts = raw_path[len(SIGNAL_PATH_PREFIX):].split("/")
        if len(parts) != 3:
            return None
        return SignalTarget(*(unquote(part) for part in parts))

    def _sign(self, method: str, path: str, expires: int) -> str:
        message = f"{method}\n{path}\n{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=1024)
def _quoted(part: str) -> str:
    # Every handle of a stack quotes the same account and stack id: quoting a stack ARN
    # cost more than signing the URL.
    return quote(part, safe="")


def signal_route(urls: SignalUrls, record: Callable[[SignalTarget, dict], None]):
    """A pre-authentication route for the API app: PUT {Status, Reason, UniqueId, Data}."""

    def route(request: Request, body: bytes) -> Response | None:
        if not request.path.startswith(SIGNAL_PATH_PREFIX):
            return None
        target = urls.verify(request.method, raw_path(request), request.args.get("Expires", ""), request.args.get("Signature", ""))
        if target is None:
            return _error(403, "AccessDenied", "The signal URL is invalid, altered or expired.")
        try:
            signal = json.loads(body[:MAX_SIGNAL_BYTES] or b"{}")
        except ValueError:
            return _error(400, "InvalidRequest", "The signal body must be a JSON object.")
        if not isinstance(signal, dict) or signal.get("Status") not in ("SUCCESS", "FAILURE"):
            return _error(400, "InvalidRequest", 'The signal must be a JSON object with "Status" SUCCESS or FAILURE.')
        try:
            record(target, signal)
        except ServiceError as error:  # e.g. the stack or handle no longer exists
            return _error(404, "NoSuchKey", error.message)
        return Response(b"", status=200)

    return route


def _error(status: int, code: str, message: str) -> Response:
    # S3-style XML error, as the presigned URLs AWS hands out would answer.
    body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(body, status=status, content_type="application/xml")
