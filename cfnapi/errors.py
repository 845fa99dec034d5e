"""The one error type that reaches the wire.

Every layer below the API (template, engine, cloudwatch, auth) raises
``ServiceError`` — or its own exception that ``query_api`` maps onto one —
and the protocol serializers turn it into the AWS error shape of the
request's protocol.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An AWS-shaped error: code, message, HTTP status and who is at fault."""

    def __init__(self, code: str, message: str, status: int = 400, sender_fault: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, status={self.status})"


def validation_error(message: str) -> ServiceError:
    """AWS's catch-all client error (CloudFormation and CloudWatch share it)."""
    return ServiceError("ValidationError", message, 400)


def internal_failure(message: str = "An internal error occurred.") -> ServiceError:
    return ServiceError("InternalFailure", message, 500, sender_fault=False)
