"""The one place where cloud failures are classified.

Every provider raises ``CloudError`` and nothing else: a ``kind`` the engine
can act on (retry when unavailable, fail the resource otherwise) and the
service's own message, which reaches the stack event unchanged.  The sim
builds its errors with ``cfnapi.cloud.messages``; the openstacksdk provider
passes every SDK exception through ``from_sdk_exception``.
"""

from __future__ import annotations

import enum
import json
import re


class ErrorKind(enum.Enum):
    NOT_FOUND = "NotFound"
    CONFLICT = "Conflict"  # in use, already exists, wrong state
    OVER_QUOTA = "OverQuota"
    INVALID = "Invalid"  # the request itself is wrong
    FORBIDDEN = "Forbidden"  # policy refused it (not a quota)
    UNAVAILABLE = "Unavailable"  # the service failed or cannot be reached; worth retrying


class CloudError(Exception):
    """A classified failure carrying the cloud service's own wording."""

    def __init__(self, kind: ErrorKind, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.UNAVAILABLE

    def __repr__(self) -> str:
        return f"CloudError({self.kind.value}, {self.message!r})"


def not_found(message: str) -> CloudError:
    return CloudError(ErrorKind.NOT_FOUND, message)


def conflict(message: str) -> CloudError:
    return CloudError(ErrorKind.CONFLICT, message)


def over_quota(message: str) -> CloudError:
    return CloudError(ErrorKind.OVER_QUOTA, message)


def invalid(message: str) -> CloudError:
    return CloudError(ErrorKind.INVALID, message)


def forbidden(message: str) -> CloudError:
    return CloudError(ErrorKind.FORBIDDEN, message)


def unavailable(message: str) -> CloudError:
    return CloudError(ErrorKind.UNAVAILABLE, message)


# Nova answers an exceeded quota with 403 (older releases 413), Cinder with 413,
# Neutron with 409 — only the wording tells a quota 403/409 from a policy refusal
# or an ordinary conflict.
_QUOTA_WORDING = re.compile(r"quota|exceeds allowed|maximum number of", re.IGNORECASE)


def from_sdk_exception(exc: Exception) -> CloudError:
    """Classify an ``openstack.exceptions`` error (or a transport failure)."""
    from openstack import exceptions as sdk

    if isinstance(exc, CloudError):
        return exc
    message = service_message(exc)
    if isinstance(exc, sdk.HttpException):
        status = exc.status_code or 0
        if status == 413 or (status in (403, 409) and _QUOTA_WORDING.search(message)):
            return over_quota(message)
        if status == 404 or isinstance(exc, sdk.NotFoundException):
            return not_found(message)
        if status == 409 or isinstance(exc, sdk.ConflictException):
            return conflict(message)
        if status == 403 or isinstance(exc, sdk.ForbiddenException):
            return forbidden(message)
        if 400 <= status < 500 or isinstance(exc, sdk.BadRequestException):
            return invalid(message)
        return unavailable(message)
    if isinstance(exc, sdk.DuplicateResource):
        return conflict(message)
    if isinstance(exc, sdk.ResourceFailure):
        return conflict(message)
    if isinstance(exc, (sdk.InvalidRequest, sdk.ValidationException, sdk.InvalidResourceQuery)):
        return invalid(message)
    return unavailable(message)


def service_message(exc: Exception) -> str:
    """The service's own sentence from an SDK error, without the SDK's decoration.

    The SDK puts the response body's message in ``details`` (Nova and Cinder
    wrap it as ``{"itemNotFound": {"message": ...}}``, Neutron as
    ``{"NeutronError": {"message": ...}}``); fall back to the exception text.
    """
    details = getattr(exc, "details", None)
    if isinstance(details, str) and details.strip():
        return _unwrap_body(details.strip())
    message = getattr(exc, "message", None) or str(exc)
    return str(message)


def _unwrap_body(text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return text
    while isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return body["message"]
        if len(body) != 1:
            break
        body = next(iter(body.values()))
    return text
