"""The AWS error codes and messages of request authentication.

Codes, messages and statuses follow AWS's "Common Errors" reference so that
SDKs recognise them (botocore, for instance, treats RequestExpired and
SignatureDoesNotMatch as possible clock skew).
"""

from __future__ import annotations

from datetime import datetime

from cfnapi.errors import ServiceError

_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def missing_authentication_token() -> ServiceError:
    return ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)


def invalid_client_token_id() -> ServiceError:
    return ServiceError(
        "InvalidClientTokenId", "The security token included in the request is invalid.", 403
    )


def signature_does_not_match(detail: str | None = None) -> ServiceError:
    message = _SIGNATURE_MISMATCH if detail is None else detail
    return ServiceError("SignatureDoesNotMatch", message, 403)


def incomplete_signature(message: str) -> ServiceError:
    return ServiceError("IncompleteSignature", message, 400)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, 400)


def content_sha256_mismatch() -> ServiceError:
    return ServiceError(
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
    )


def invalid_parameter_combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message, 400)


def request_expired(message: str = "Request has expired.") -> ServiceError:
    return ServiceError("RequestExpired", message, 400)


def _basic(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def signature_expired(signed_at: datetime, oldest_allowed: datetime, now: datetime, minutes: int) -> ServiceError:
    """AWS's wording when a SigV4 timestamp is too old."""
    return request_expired(
        f"Signature expired: {_basic(signed_at)} is now earlier than {_basic(oldest_allowed)} "
        f"({_basic(now)} - {minutes} min.)"
    )


def signature_not_yet_current(signed_at: datetime, newest_allowed: datetime, now: datetime, minutes: int) -> ServiceError:
    """AWS's wording when a SigV4 timestamp lies too far in the future."""
    return request_expired(
        f"Signature not yet current: {_basic(signed_at)} is still later than {_basic(newest_allowed)} "
        f"({_basic(now)} + {minutes} min.)"
    )
