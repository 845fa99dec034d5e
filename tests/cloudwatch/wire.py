"""CloudWatch handlers driven by real botocore clients, one wire protocol at a time.

The handlers sit behind the real WSGI app (signature check, protocol
detection, botocore-model parsing and serialization); each call goes out
through botocore's own serializer and comes back through its parser, so a
test run as query, JSON and CBOR checks what a client of each protocol sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from botocore import xform_name
from botocore.exceptions import ClientError

from cfnapi.auth.credential import Credential
from cfnapi.handlers.base import ServiceHandlers
from cfnapi.query_api.app import ApiApp
from cfnapi.query_api.services import Service
from cfnapi.testing.inprocess import inprocess_client


@dataclass(frozen=True)
class Caller:
    account_id: str
    access_key_id: str
    secret_key: str


@dataclass(frozen=True)
class WireError:
    """The error as botocore's client reports it."""

    code: str
    message: str
    status: int


class WireCloudWatch:
    def __init__(self, handlers, protocol: str, callers: tuple[Caller, ...]):
        self.handlers = handlers
        self.protocol = protocol
        self.callers = callers
        self._clients: dict[tuple[str, bool], object] = {}

    @cached_property
    def app(self) -> ApiApp:
        credentials = {c.access_key_id: Credential(c.access_key_id, c.secret_key, c.account_id) for c in self.callers}
        # The app answers errors from before routing in CloudFormation's model; it has no operations here.
        services = {"cloudwatch": Service("cloudwatch", self.handlers),
                    "cloudformation": Service("cloudformation", ServiceHandlers())}
        return ApiApp(services, credentials=credentials, region="us-east-1")

    def client(self, caller: Caller, *, validate: bool = True):
        key = (caller.access_key_id, validate)
        if key not in self._clients:
            self._clients[key], _ = inprocess_client(
                self.app, "cloudwatch", protocol=self.protocol, access_key=caller.access_key_id,
                secret_key=caller.secret_key, validate=validate)
        return self._clients[key]

    def call(self, operation: str, params: dict, caller: Caller, *, validate: bool = True) -> dict:
        method = getattr(self.client(caller, validate=validate), xform_name(operation))
        result = method(**params)
        result.pop("ResponseMetadata", None)
        return result

    def error(self, operation: str, params: dict, caller: Caller) -> WireError:
        """The error the server answers; botocore's own validation is off so bad input reaches it."""
        try:
            self.call(operation, params, caller, validate=False)
        except ClientError as raised:
            error = raised.response["Error"]
            return WireError(error["Code"], error.get("Message", ""),
                             raised.response["ResponseMetadata"]["HTTPStatusCode"])
        raise AssertionError(f"{operation} succeeded; an error was expected")
