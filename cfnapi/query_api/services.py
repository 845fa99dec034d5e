"""The services served on one endpoint, and how a request finds its service."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore.model import ServiceModel

from cfnapi.errors import ServiceError
from cfnapi.handlers.base import ServiceHandlers

CLOUDWATCH_TARGET_PREFIX = "GraniteServiceVersion20100801"
CBOR_PATH_PREFIX = f"/service/{CLOUDWATCH_TARGET_PREFIX}/operation/"

# Signing names a SigV4 credential scope may carry for each service.
SIGNING_NAMES = {"cloudformation": "cloudformation", "monitoring": "cloudwatch"}


@cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


@dataclass(frozen=True)
class Service:
    name: str  # botocore's name: "cloudformation" | "cloudwatch"
    handlers: ServiceHandlers

    @property
    def model(self) -> ServiceModel:
        return service_model(self.name)

    def operation_model(self, operation_name: str):
        if operation_name not in self.model.operation_names:
            raise invalid_action(operation_name, self.model.api_version)
        return self.model.operation_model(operation_name)


def invalid_action(operation_name: str, version: str) -> ServiceError:
    return ServiceError("InvalidAction", f"Could not find operation {operation_name} for version {version}", 400)


def choose_service(
    services: dict[str, Service], protocol: str, operation_name: str, scope_service: str | None
) -> Service:
    """Pick the service a request is for.

    JSON and CBOR requests are CloudWatch by construction. A query request is
    routed by its SigV4 scope when that names a service; boto 2 signs with a
    scope derived from the host name (``127`` for 127.0.0.1) and SigV2 has no
    scope, so otherwise the Action decides: the two models share no names.
    """
    if protocol in ("json", "cbor"):
        return services["cloudwatch"]
    by_scope = SIGNING_NAMES.get(scope_service or "")
    if by_scope in services:
        return services[by_scope]
    for service in services.values():
        if operation_name in service.model.operation_names:
            return service
    raise invalid_action(operation_name, services["cloudformation"].model.api_version)
