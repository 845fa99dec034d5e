"""AWS::IAM::* types. Access keys are real: an AWS::IAM::AccessKey is a key pair
in cfnapi's credential store, owned by the stack, that signs requests to this
server (cfn-push-stats, cfn-signal …). Users are the keys' owners by name.
Roles, policies and instance profiles have nothing to enforce them on an
OpenStack cloud: they are validated and recorded, and say so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import creation_marker, physical_name


def _arn(ctx: ResourceContext, kind: str, path: str | None, name: str) -> str:
    return f"arn:aws:iam::{ctx.account_id}:{kind}{path or '/'}{name}"


def _credentials(ctx: ResourceContext):
    store = getattr(ctx.cloud, "credentials", None)
    if store is None:
        raise ResourceFailure("This server has no credential store configured for IAM access keys.")
    return store


def check_policy_document(document: Any, where: str) -> None:
    """IAM's structural checks: a JSON object with Statement(s) carrying an Effect."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            raise ResourceFailure(f"Syntax errors in policy. ({where})") from None
    if not isinstance(document, Mapping) or "Statement" not in document:
        raise ResourceFailure(f"Policy document should not specify a principal or be missing Statement. ({where})")
    statements = document["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, Mapping) or statement.get("Effect") not in ("Allow", "Deny"):
            raise ResourceFailure(f"Syntax errors in policy: every statement needs Effect Allow or Deny. ({where})")


def _check_inline_policies(props: Mapping[str, Any]) -> None:
    for policy in props.get("Policies") or []:
        if not policy.get("PolicyName"):
            raise ResourceFailure("Every inline policy needs a PolicyName")
        check_policy_document(policy.get("PolicyDocument"), policy["PolicyName"])


class User(ResourceType):
    type_name = "AWS::IAM::User"
    openstack_mapping = "recorded; its access keys are cfnapi credentials"
    properties = (
        PropertySpec("UserName", update="replace"),
        PropertySpec("Path"),
        PropertySpec("Policies", "List"),
        PropertySpec("Groups", "List"),
        PropertySpec("ManagedPolicyArns", "List"),
        PropertySpec("LoginProfile", "Json"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("Arn",)
    name_properties = ("UserName",)
    not_honoured = "Policies, groups and login profiles are validated and recorded, not enforced."

    def create(self, ctx, props) -> str:
        _check_inline_policies(props)
        return props.get("UserName") or physical_name(ctx, 64)

    def update(self, ctx, resource, old_props, new_props) -> None:
        _check_inline_policies(new_props)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Arn": _arn(ctx, "user", resource.properties.get("Path"), resource.physical_id)}


class AccessKey(ResourceType):
    type_name = "AWS::IAM::AccessKey"
    openstack_mapping = "a key pair in cfnapi's credential store, owned by the stack"
    properties = (
        PropertySpec("UserName", required=True, update="replace"),
        PropertySpec("Serial", "Integer", update="replace"),
        PropertySpec("Status"),
    )
    attribute_names = ("SecretAccessKey",)

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        store = _credentials(ctx)
        try:
            credential = store.create(account_id=ctx.account_id, user_name=str(props["UserName"]),
                                      description=self._description(ctx), owner_stack_id=ctx.stack_id)
        except LookupError as error:
            raise ResourceFailure(str(error)) from error
        if props.get("Status") == "Inactive":
            store.set_active(credential.access_key_id, False)
        return credential.access_key_id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        if not ctx.creation_token:
            return None
        wanted = self._description(ctx)
        found = [c for c in _credentials(ctx).list(ctx.account_id)
                 if c.owner_stack_id == ctx.stack_id and c.description == wanted]
        if not found:
            return None
        if props.get("Status") == "Inactive":  # the create may have died before deactivating it
            _credentials(ctx).set_active(found[0].access_key_id, False)
        return found[0].access_key_id

    @staticmethod
    def _description(ctx: ResourceContext) -> str:
        """Stack/Logical, and the creation token that lets a resumed create find the key again."""
        marker = creation_marker(ctx)
        return f"{ctx.stack_name}/{ctx.logical_id}" + (f" {marker}" if marker else "")

    def update(self, ctx, resource, old_props, new_props) -> None:
        _credentials(ctx).set_active(resource.physical_id, new_props.get("Status", "Active") != "Inactive")

    def delete(self, ctx, resource) -> None:
        _credentials(ctx).delete(resource.physical_id)  # False when already gone: fine

    def attributes(self, ctx, resource) -> dict[str, Any]:
        credential = _credentials(ctx).get(resource.physical_id)
        if credential is None:
            raise ResourceFailure(f"The Access Key with id {resource.physical_id} cannot be found.")
        return {"SecretAccessKey": credential.secret_access_key}


class Role(ResourceType):
    type_name = "AWS::IAM::Role"
    openstack_mapping = "recorded (validated; nothing enforces it)"
    properties = (
        PropertySpec("AssumeRolePolicyDocument", "Json", required=True),
        PropertySpec("RoleName", update="replace"),
        PropertySpec("Path", update="replace"),
        PropertySpec("Policies", "List"),
        PropertySpec("ManagedPolicyArns", "List"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("Arn", "RoleId")
    name_properties = ("RoleName",)
    not_honoured = "Not enforced: instances get no credentials from a role."

    def create(self, ctx, props) -> str:
        self._validate(props)
        return props.get("RoleName") or physical_name(ctx, 64)

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(new_props)

    @staticmethod
    def _validate(props) -> None:
        check_policy_document(props.get("AssumeRolePolicyDocument"), "AssumeRolePolicyDocument")
        _check_inline_policies(props)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Arn": _arn(ctx, "role", resource.properties.get("Path"), resource.physical_id),
                "RoleId": "AROA" + resource.physical_id.encode().hex().upper()[:17]}


class _PolicyType(ResourceType):
    """Policies: checked like IAM checks them, then recorded."""

    def create(self, ctx, props) -> str:
        check_policy_document(props.get("PolicyDocument"), self.type_name)
        return self._physical_id(ctx, props)

    def update(self, ctx, resource, old_props, new_props) -> None:
        check_policy_document(new_props.get("PolicyDocument"), self.type_name)

    def _physical_id(self, ctx, props) -> str:
        return props.get("PolicyName") or props.get("ManagedPolicyName") or physical_name(ctx, 128)


class Policy(_PolicyType):
    type_name = "AWS::IAM::Policy"
    openstack_mapping = "recorded (validated; nothing enforces it)"
    properties = (
        PropertySpec("PolicyName", required=True),
        PropertySpec("PolicyDocument", "Json", required=True),
        PropertySpec("Users", "List"),
        PropertySpec("Roles", "List"),
        PropertySpec("Groups", "List"),
    )
    attribute_names = ("Id",)
    not_honoured = "Not enforced: cfnapi's API does not evaluate IAM policies."

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}


class RolePolicy(_PolicyType):
    type_name = "AWS::IAM::RolePolicy"
    openstack_mapping = "recorded (validated; nothing enforces it)"
    properties = (
        PropertySpec("PolicyName", required=True, update="replace"),
        PropertySpec("RoleName", required=True, update="replace"),
        PropertySpec("PolicyDocument", "Json"),
    )
    not_honoured = "Not enforced."

    def create(self, ctx, props) -> str:
        if props.get("PolicyDocument") is not None:
            check_policy_document(props["PolicyDocument"], self.type_name)
        return f"{props['PolicyName']}|{props['RoleName']}"


class ManagedPolicy(_PolicyType):
    type_name = "AWS::IAM::ManagedPolicy"
    openstack_mapping = "recorded (validated; nothing enforces it)"
    properties = (
        PropertySpec("PolicyDocument", "Json", required=True),
        PropertySpec("ManagedPolicyName", update="replace"),
        PropertySpec("Path", update="replace"),
        PropertySpec("Description", update="replace"),
        PropertySpec("Users", "List"),
        PropertySpec("Roles", "List"),
        PropertySpec("Groups", "List"),
    )
    attribute_names = ("PolicyArn",)
    name_properties = ("ManagedPolicyName",)
    not_honoured = "Not enforced."

    def create(self, ctx, props) -> str:
        check_policy_document(props.get("PolicyDocument"), self.type_name)
        return _arn(ctx, "policy", props.get("Path"), props.get("ManagedPolicyName") or physical_name(ctx, 128))

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"PolicyArn": resource.physical_id}


class InstanceProfile(ResourceType):
    type_name = "AWS::IAM::InstanceProfile"
    openstack_mapping = "recorded (nothing enforces it)"
    properties = (
        PropertySpec("Roles", "List", required=True),
        PropertySpec("InstanceProfileName", update="replace"),
        PropertySpec("Path", update="replace"),
    )
    attribute_names = ("Arn",)
    name_properties = ("InstanceProfileName",)
    not_honoured = "Not enforced: instances get no role credentials."

    def create(self, ctx, props) -> str:
        if len(props.get("Roles") or []) != 1:
            raise ResourceFailure("An instance profile holds exactly one role.")
        return props.get("InstanceProfileName") or physical_name(ctx, 128)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Arn": _arn(ctx, "instance-profile", resource.properties.get("Path"), resource.physical_id)}


