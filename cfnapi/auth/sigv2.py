"""Signature Version 2: query-string signing of the AWS query protocol.

Its parameters travel in the query string (GET) or the form body (POST). Every
parameter the service will act on must be covered by the signature, so the
signed set is the query pairs *and* the form pairs, whichever carries them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import quote

from cfnapi.auth import errors
from cfnapi.auth.credential import CredentialLookup
from cfnapi.auth.request import SIGV2, SignedRequest, VerifiedCaller
from cfnapi.auth.timestamps import parse_iso8601

SIGNATURE_METHODS = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}
ALLOWED_SKEW = timedelta(minutes=15)
REQUIRED_PARAMETERS = ("AWSAccessKeyId", "Signature", "SignatureMethod")


def is_sigv2(req: SignedRequest) -> bool:
    names = {name for name, _ in _all_parameters(req)}
    return bool(names & {"Signature", "AWSAccessKeyId", "SignatureVersion"})


def _all_parameters(req: SignedRequest) -> list[tuple[str, str]]:
    return list(req.query) + list(req.form or [])


def canonical_parameters(params: list[tuple[str, str]]) -> str:
    """Parameters sorted by name (byte order), encoded per RFC 3986, Signature left out."""
    encoded = sorted(
        (quote(name.encode("utf-8"), safe="-_.~"), quote(value.encode("utf-8"), safe="-_.~"))
        for name, value in params
        if name != "Signature"
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def compute_signature(
    secret: str, method: str, host: str, path: str, params: list[tuple[str, str]], signature_method: str
) -> str:
    """Base64 HMAC over ``METHOD\\nhost\\npath\\ncanonical-parameters``.

    Public so that cfnapi can sign the URLs it hands out (wait-condition
    handles) with exactly the rules it verifies.
    """
    digest = SIGNATURE_METHODS[signature_method]
    to_sign = f"{method.upper()}\n{host.lower()}\n{path or '/'}\n{canonical_parameters(params)}"
    mac = hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def _host_candidates(req: SignedRequest) -> list[str]:
    """The Host header as sent, and without its port.

    AWS documents the Host header; botocore signs ``host:port``, but boto 2
    signs the bare host name even on a non-default port.
    """
    host = (req.header("host") or req.host).strip()
    candidates = [host]
    bare, colon, port = host.rpartition(":")
    if colon and port.isdigit() and not host.endswith("]"):
        candidates.append(bare)
    return candidates


def verify_query_signature(req: SignedRequest, credentials: CredentialLookup, now: datetime) -> VerifiedCaller:
    params = _all_parameters(req)
    first: dict[str, str] = {}
    for name, value in params:
        first.setdefault(name, value)

    missing = [name for name in REQUIRED_PARAMETERS if not first.get(name)]
    if missing:
        listed = ", ".join(missing)
        raise errors.incomplete_signature(f"Request is missing required Signature Version 2 parameter(s): {listed}.")
    if first.get("SignatureVersion") != "2":
        raise errors.incomplete_signature(
            f"Unsupported SignatureVersion '{first.get('SignatureVersion', '')}'; "
            "cfnapi accepts Signature Version 2 query signing or Signature Version 4."
        )
    signature_method = first["SignatureMethod"]
    if signature_method not in SIGNATURE_METHODS:
        raise errors.invalid_parameter(
            f"Value ({signature_method}) for parameter SignatureMethod is invalid. "
            "Supported methods are HmacSHA256 and HmacSHA1."
        )
    _check_freshness(first.get("Timestamp"), first.get("Expires"), now)
    if "SecurityToken" in first:
        raise errors.invalid_client_token_id()  # cfnapi issues no temporary credentials

    credential = credentials.get(first["AWSAccessKeyId"])
    if credential is None or not credential.active:
        raise errors.invalid_client_token_id()

    # Base64 never contains spaces: a space is a '+' some client left unescaped.
    provided = first["Signature"].replace(" ", "+").encode("ascii", "replace")
    for host in _host_candidates(req):
        expected = compute_signature(
            credential.secret_access_key, req.method, host, req.path, params, signature_method
        )
        if hmac.compare_digest(expected.encode("ascii"), provided):
            return VerifiedCaller(credential.access_key_id, credential.account_id, None, None, SIGV2)
    raise errors.signature_does_not_match()


def _check_freshness(timestamp: str | None, expires: str | None, now: datetime) -> None:
    if timestamp is not None and expires is not None:
        raise errors.invalid_parameter_combination("Parameters Timestamp and Expires cannot both be present.")
    if timestamp is None and expires is None:
        raise errors.incomplete_signature("Request must contain either a 'Timestamp' or an 'Expires' parameter.")
    if timestamp is not None:
        signed_at = _parse(timestamp, "Timestamp")
        if abs(now - signed_at) > ALLOWED_SKEW:
            raise errors.request_expired(
                f"Request has expired. Timestamp date is {timestamp}; it must be within 15 minutes of "
                f"the server time {now.strftime('%Y-%m-%dT%H:%M:%SZ')}."
            )
    else:
        expires_at = _parse(expires, "Expires")
        if now > expires_at:
            raise errors.request_expired(f"Request has expired. Expires date is {expires}.")


def _parse(value: str, name: str) -> datetime:
    parsed = parse_iso8601(value)
    if parsed is None:
        raise errors.invalid_parameter(
            f"Value ({value}) for parameter {name} is invalid. It must be an ISO 8601 date-time."
        )
    return parsed
