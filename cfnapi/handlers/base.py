"""What every handler method receives, and how an operation finds its method."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore import xform_name

from cfnapi.errors import ServiceError


@dataclass(frozen=True)
class RequestContext:
    """Who is calling, where, and the id that ties the response to the logs."""

    account_id: str  # the caller's account (project); everything stored is scoped to it
    access_key_id: str
    region: str
    request_id: str
    endpoint_url: str = ""  # scheme://host:port as the client addressed us (for presigned URLs)


Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]


class ServiceHandlers:
    """Base for a service's handler class: finds the method for an operation."""

    service_name = ""

    def handler_for(self, operation_name: str) -> Handler:
        method = getattr(self, xform_name(operation_name), None)
        if method is None:
            raise ServiceError(
                "InvalidAction",
                f"The action {operation_name} is valid for {self.service_name} "
                "but is not implemented by cfnapi yet.",
                400,
            )
        return method
