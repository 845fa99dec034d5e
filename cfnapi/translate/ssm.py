"""AWS::SSM::Parameter → a row in cfnapi's own parameter store (``cfnapi.ssm``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from cfnapi.ssm import ParameterAlreadyExists
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import made_since_token


def _store(ctx: ResourceContext):
    store = getattr(ctx.cloud, "parameters", None)
    if store is None:
        raise ResourceFailure("This server has no SSM parameter store configured.")
    return store


class Parameter(ResourceType):
    type_name = "AWS::SSM::Parameter"
    openstack_mapping = "cfnapi's SSM parameter store (its own table)"
    properties = (
        PropertySpec("Type", required=True),
        PropertySpec("Value", required=True),
        PropertySpec("Name", update="replace"),
        PropertySpec("Description"),
        PropertySpec("DataType"),
        PropertySpec("AllowedPattern"),
        PropertySpec("Tier"),
        PropertySpec("Tags", "Map"),
    )
    attribute_names = ("Type", "Value")
    name_properties = ("Name",)
    not_honoured = "Tier, Policies and Tags are recorded only."

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        name = props.get("Name") or self._generated_name(ctx)
        self._put(ctx, name, props, overwrite=False)
        return name

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """A generated name carries the token; a custom Name is this create's only if its first
        version was written after the token was saved (one that existed before is someone else's)."""
        if not ctx.creation_token:
            return None
        name = props.get("Name") or self._generated_name(ctx)
        parameter = _store(ctx).get(ctx.account_id, ctx.region, name)
        if parameter is None:
            return None
        if props.get("Name") and not (parameter.version == 1 and made_since_token(ctx, parameter.last_modified)):
            return None
        return name

    @staticmethod
    def _generated_name(ctx: ResourceContext) -> str:
        """CloudFormation's shape, CFN-Logical-RANDOM; RANDOM is the creation token when there is one."""
        return f"CFN-{ctx.logical_id}-{ctx.creation_token or uuid.uuid4().hex[:12]}"

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._put(ctx, resource.physical_id, new_props, overwrite=True)

    def delete(self, ctx, resource) -> None:
        _store(ctx).delete(ctx.account_id, ctx.region, resource.physical_id)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        parameter = _store(ctx).get(ctx.account_id, ctx.region, resource.physical_id)
        if parameter is None:
            raise ResourceFailure(f"Parameter {resource.physical_id} not found.")
        return {"Type": parameter.type, "Value": parameter.value}

    @staticmethod
    def _put(ctx: ResourceContext, name: str, props: Mapping[str, Any], *, overwrite: bool) -> None:
        kind = str(props.get("Type", "String"))
        if kind not in ("String", "StringList"):
            # CloudFormation itself refuses SecureString parameters.
            raise ResourceFailure(f"1 validation error detected: Value '{kind}' at 'type' failed to satisfy "
                                  "constraint: Member must satisfy enum value set: [StringList, String]")
        value = props["Value"]
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        pattern = props.get("AllowedPattern")
        if pattern:
            if not re.fullmatch(pattern, str(value)):
                raise ResourceFailure(f"Parameter value, {value}, failed to satisfy constraint specified in "
                                      f"AllowedPattern: {pattern}.")
        try:
            _store(ctx).put(ctx.account_id, ctx.region, name, str(value), type=kind,
                            description=str(props.get("Description") or ""),
                            data_type=str(props.get("DataType") or "text"), overwrite=overwrite)
        except ParameterAlreadyExists as error:
            raise ResourceFailure(f"{name} already exists in stack {ctx.stack_id}") from error
        except ValueError as error:
            raise ResourceFailure(str(error)) from error
