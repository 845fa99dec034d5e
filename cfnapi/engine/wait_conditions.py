"""AWS::CloudFormation::WaitConditionHandle and WaitCondition: the two types
with no cloud underneath; the engine owns them.

A handle's Ref is a presigned URL on this server (the signing is supplied by
the API layer through the context). Agents (cfn-signal, curl) PUT signals to
it; the engine stores them per handle, and the WaitCondition counts them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceState, ResourceType


class WaitConditionHandle(ResourceType):
    type_name = "AWS::CloudFormation::WaitConditionHandle"
    completes_at_once = True  # its id is a URL worked out from the stack and logical id

    def create(self, ctx: ResourceContext, props) -> str:
        if ctx.presign_signal_url is None:
            # No API in front of this engine (e.g. unit tests): still a unique, stable id.
            return f"{ctx.stack_id}/{ctx.logical_id}"
        return ctx.presign_signal_url(ctx.stack_id, ctx.logical_id)


class WaitCondition(ResourceType):
    type_name = "AWS::CloudFormation::WaitCondition"
    properties = (
        PropertySpec("Handle", "String", update="replace"),
        PropertySpec("Timeout", "String", update="replace"),
        PropertySpec("Count", "Integer", update="replace"),
    )
    attribute_names = ("Data",)

    def create(self, ctx: ResourceContext, props) -> str:
        return f"{ctx.stack_id}/{ctx.logical_id}"

    def check_create_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        signals = self._signals(ctx, resource)
        for signal in signals:
            if signal.get("Status") == "FAILURE":
                raise ResourceFailure(
                    f"WaitCondition received failed message: '{signal.get('Reason', '')}' "
                    f"for uniqueId: {signal.get('UniqueId', '')}"
                )
        expected = int(resource.properties.get("Count") or 1)
        received = sum(1 for s in signals if s.get("Status") == "SUCCESS")
        if received >= expected:
            return True
        timeout = resource.properties.get("Timeout")
        if timeout not in (None, "") and resource.created_at is not None:
            waited = (dt.datetime.now(dt.timezone.utc) - resource.created_at).total_seconds()
            if waited >= float(timeout):
                raise ResourceFailure(
                    f"WaitCondition timed out. Received {received} conditions when expecting {expected}"
                )
        return False

    def attributes(self, ctx: ResourceContext, resource: ResourceState) -> dict[str, Any]:
        data = {s.get("UniqueId", ""): s.get("Data", "") for s in self._signals(ctx, resource)}
        return {"Data": json.dumps(data)}

    @staticmethod
    def _signals(ctx: ResourceContext, resource: ResourceState) -> list[dict]:
        handle = resource.properties.get("Handle", "")
        if ctx.signals_for is None:
            return []
        handle_logical_id = ctx.logical_id_for_physical(handle) if ctx.logical_id_for_physical else None
        return ctx.signals_for(handle_logical_id or handle)
