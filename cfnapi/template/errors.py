"""The template package's error: always AWS's ``ValidationError`` (HTTP 400)."""

from __future__ import annotations

from cfnapi.errors import ServiceError


class TemplateError(ServiceError):
    """A template or parameter problem, worded as CloudFormation words it."""

    def __init__(self, message: str):
        super().__init__("ValidationError", message, 400, sender_fault=True)


def format_error(detail: str) -> TemplateError:
    """``Template format error: ...`` — the template's structure is wrong."""
    return TemplateError(f"Template format error: {detail}")


def template_error(detail: str) -> TemplateError:
    """``Template error: ...`` — a function's arguments or references are wrong."""
    return TemplateError(f"Template error: {detail}")
