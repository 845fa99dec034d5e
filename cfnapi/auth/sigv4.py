"""Signature Version 4: the Authorization-header form and the presigned-URL form.

The region and service are taken from the credential scope the client chose,
whatever they are: boto 2 derives them from the host name (for ``127.0.0.1``
it signs with region ``0`` and service ``127``), and those requests must
verify as readily as boto3's ``us-east-1``/``cloudformation``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from cfnapi.auth import errors
from cfnapi.auth.canonical import canonical_query, canonical_uri, trim_header_value
from cfnapi.auth.credential import CredentialLookup
from cfnapi.auth.request import SIGV4, SIGV4_PRESIGNED, SignedRequest, VerifiedCaller
from cfnapi.auth.timestamps import SIGV4_FORMAT, parse_http_date, parse_sigv4_timestamp

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ALLOWED_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600  # AWS's limit: one week


@dataclass(frozen=True)
class CredentialScope:
    access_key_id: str
    date: str  # YYYYMMDD
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


@dataclass(frozen=True)
class SigV4Claim:
    """What the client claims it signed, before any check."""

    credential: CredentialScope
    signed_headers: str  # exactly as sent, e.g. "host;x-amz-date"
    signature: str
    signed_at: datetime


# --- canonical request and signature (shared by both forms) -----------------


def canonical_request(
    req: SignedRequest, query: list[tuple[str, str]], signed_headers: str, payload_hash: str
) -> str:
    header_lines = []
    for name in signed_headers.split(";"):
        value = req.header(name)
        if value is None and name.lower() == "host":
            value = req.host
        header_lines.append(f"{name.lower()}:{trim_header_value(value or '')}\n")
    return "\n".join(
        [
            req.method.upper(),
            canonical_uri(req.path),
            canonical_query(query),
            "".join(header_lines),
            signed_headers,
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: CredentialScope, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "\n".join([ALGORITHM, amz_date, scope.scope, digest])


def signing_key(secret: str, scope: CredentialScope) -> bytes:
    return _derived_key(secret, scope.date, scope.region, scope.service)


@functools.lru_cache(maxsize=256)
def _derived_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The key of one secret for one day, region and service: four chained HMACs that
    every request of that day repeats, so kept (a client signs with a handful of scopes)."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def compute_signature(secret: str, scope: CredentialScope, to_sign: str) -> str:
    return hmac.new(signing_key(secret, scope), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


# --- parsing -----------------------------------------------------------------


def parse_credential(value: str) -> CredentialScope:
    parts = value.split("/")
    if len(parts) != 5 or not all(parts):
        raise errors.incomplete_signature(
            f"Credential should have the form <access key id>/<YYYYMMDD>/<region>/<service>/"
            f"{TERMINATOR}, got '{value}'."
        )
    access_key_id, date, region, service, terminator = parts
    if terminator != TERMINATOR:
        raise errors.signature_does_not_match(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
        )
    return CredentialScope(access_key_id, date, region, service)


def parse_authorization_header(authorization: str) -> dict[str, str]:
    """Split ``AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``."""
    _, _, rest = authorization.partition(" ")
    fields: dict[str, str] = {}
    for component in rest.split(","):
        name, equals, value = component.strip().partition("=")
        if equals:
            fields.setdefault(name.strip(), value.strip())
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    if missing:
        sentences = " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        raise errors.incomplete_signature(f"{sentences} Authorization={authorization}")
    return fields


def _require_host_signed(signed_headers: str) -> None:
    if "host" not in signed_headers.lower().split(";"):
        raise errors.incomplete_signature("'Host' must be a 'SignedHeader' in the AWS Authorization.")


def _check_scope_date(scope: CredentialScope, amz_date: str) -> None:
    if scope.date != amz_date[:8]:
        raise errors.signature_does_not_match(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope.date}' != '{amz_date[:8]}', from '{amz_date}'."
        )


# --- payload -----------------------------------------------------------------


def _declared_payload_hash(req: SignedRequest) -> str | None:
    """The X-Amz-Content-Sha256 header's value, checked against the body.

    UNSIGNED-PAYLOAD means the client chose not to sign the body; any other
    value must be the body's real digest, or a tampered body could ride on a
    valid signature.
    """
    declared = req.header("x-amz-content-sha256")
    if declared is None or declared == UNSIGNED_PAYLOAD:
        return declared
    if declared.startswith("STREAMING-"):
        raise errors.invalid_parameter(f"x-amz-content-sha256 '{declared}' (chunked signing) is not supported.")
    if declared.lower() != hashlib.sha256(req.body).hexdigest():
        raise errors.content_sha256_mismatch()
    return declared


# --- verification ------------------------------------------------------------


def _verify_signature(
    req: SignedRequest,
    claim: SigV4Claim,
    query: list[tuple[str, str]],
    payload_hashes: list[str],
    secret: str,
) -> None:
    amz_date = claim.signed_at.strftime(SIGV4_FORMAT)
    provided = claim.signature.lower().encode("ascii", "replace")
    for payload_hash in payload_hashes:
        canonical = canonical_request(req, query, claim.signed_headers, payload_hash)
        expected = compute_signature(secret, claim.credential, string_to_sign(amz_date, claim.credential, canonical))
        if hmac.compare_digest(expected.encode("ascii"), provided):
            return
    raise errors.signature_does_not_match()


def _reject_session_tokens(token: str | None) -> None:
    # cfnapi issues no temporary credentials, so no session token can be valid.
    if token is not None:
        raise errors.invalid_client_token_id()


def _lookup_secret(credentials: CredentialLookup, access_key_id: str) -> tuple[str, str]:
    credential = credentials.get(access_key_id)
    if credential is None or not credential.active:
        raise errors.invalid_client_token_id()
    return credential.secret_access_key, credential.account_id


def verify_header_signature(req: SignedRequest, credentials: CredentialLookup, now: datetime) -> VerifiedCaller:
    """Verify ``Authorization: AWS4-HMAC-SHA256 …`` (boto3, the AWS CLI, boto 2)."""
    authorization = req.header("authorization") or ""
    fields = parse_authorization_header(authorization)
    scope = parse_credential(fields["Credential"])
    _require_host_signed(fields["SignedHeaders"])
    signed_at = _header_timestamp(req, authorization)
    _check_scope_date(scope, signed_at.strftime(SIGV4_FORMAT))
    _reject_session_tokens(req.header("x-amz-security-token"))
    secret, account_id = _lookup_secret(credentials, scope.access_key_id)

    if now - signed_at > ALLOWED_SKEW:
        raise errors.signature_expired(signed_at, now - ALLOWED_SKEW, now, 15)
    if signed_at - now > ALLOWED_SKEW:
        raise errors.signature_not_yet_current(signed_at, now + ALLOWED_SKEW, now, 15)

    declared = _declared_payload_hash(req)
    payload_hash = declared if declared is not None else hashlib.sha256(req.body).hexdigest()
    claim = SigV4Claim(scope, fields["SignedHeaders"], fields["Signature"], signed_at)
    _verify_signature(req, claim, list(req.query), [payload_hash], secret)
    return VerifiedCaller(scope.access_key_id, account_id, scope.region, scope.service, SIGV4)


def _header_timestamp(req: SignedRequest, authorization: str) -> datetime:
    """X-Amz-Date wins over Date, as AWS documents."""
    amz_date = req.header("x-amz-date")
    if amz_date is not None:
        parsed = parse_sigv4_timestamp(amz_date.strip())
        if parsed is None:
            raise errors.incomplete_signature(
                f"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", got '{amz_date}'."
            )
        return parsed
    http_date = req.header("date")
    if http_date is not None:
        parsed = parse_http_date(http_date)
        if parsed is None:
            raise errors.incomplete_signature(f"Date header is not a valid HTTP date: '{http_date}'.")
        return parsed
    raise errors.incomplete_signature(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={authorization}"
    )


PRESIGN_PARAMETERS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")


def is_presigned(req: SignedRequest) -> bool:
    return any(name in ("X-Amz-Algorithm", "X-Amz-Signature", "X-Amz-Credential") for name, _ in req.query)


def verify_presigned_url(req: SignedRequest, credentials: CredentialLookup, now: datetime) -> VerifiedCaller:
    """Verify a SigV4 presigned URL (``X-Amz-*`` query parameters, with expiry)."""
    params: dict[str, str] = {}
    for name, value in req.query:
        params.setdefault(name, value)
    missing = [name for name in PRESIGN_PARAMETERS if not params.get(name)]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise errors.incomplete_signature(
            f"AWS query-string parameters must include {listed}. Re-examine the query-string parameters."
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise errors.incomplete_signature(
            f"X-Amz-Algorithm only supports '{ALGORITHM}', got '{params['X-Amz-Algorithm']}'."
        )
    scope = parse_credential(params["X-Amz-Credential"])
    _require_host_signed(params["X-Amz-SignedHeaders"])
    signed_at = parse_sigv4_timestamp(params["X-Amz-Date"])
    if signed_at is None:
        raise errors.incomplete_signature(
            f"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", got '{params['X-Amz-Date']}'."
        )
    _check_scope_date(scope, params["X-Amz-Date"])
    expires = _presigned_lifetime(params.get("X-Amz-Expires"))
    _reject_session_tokens(params.get("X-Amz-Security-Token"))
    secret, account_id = _lookup_secret(credentials, scope.access_key_id)

    if signed_at - now > ALLOWED_SKEW:
        raise errors.signature_not_yet_current(signed_at, now + ALLOWED_SKEW, now, 15)
    if now > signed_at + expires:
        raise errors.request_expired(
            f"Request has expired: X-Amz-Date {params['X-Amz-Date']} plus X-Amz-Expires "
            f"{int(expires.total_seconds())} seconds is earlier than {now.strftime(SIGV4_FORMAT)}."
        )

    declared = _declared_payload_hash(req)
    if declared is not None:
        payload_hashes = [declared]
    elif req.body:
        payload_hashes = [hashlib.sha256(req.body).hexdigest()]
    else:
        # botocore hashes the (empty) body; S3-style signers write UNSIGNED-PAYLOAD.
        # With no body either is harmless.
        payload_hashes = [EMPTY_SHA256, UNSIGNED_PAYLOAD]
    query = [(name, value) for name, value in req.query if name != "X-Amz-Signature"]
    claim = SigV4Claim(scope, params["X-Amz-SignedHeaders"], params["X-Amz-Signature"], signed_at)
    _verify_signature(req, claim, query, payload_hashes, secret)
    return VerifiedCaller(scope.access_key_id, account_id, scope.region, scope.service, SIGV4_PRESIGNED)


def _presigned_lifetime(value: str | None) -> timedelta:
    if value is None:
        return ALLOWED_SKEW
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_PRESIGNED_EXPIRES:
        raise errors.invalid_parameter(
            f"X-Amz-Expires must be a whole number of seconds between 1 and {MAX_PRESIGNED_EXPIRES}, got '{value}'."
        )
    return timedelta(seconds=int(value))
