"""AWS::IAM::* types. Access keys are real: an AWS::IAM::AccessKey is a key pair
in cfnapi's credential store, owned by the stack, that signs requests to this
server (cfn-push-stats, cfn-signal …). Users are the keys' owners by name.
Roles, policies and instance profiles have nothing to enforce them on an
OpenStack cloud: they are validated and recorded, and say so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import creation_marker, physical_name
from cfnapi.translate.recorded import recorded, require_recorded


def _arn(ctx: ResourceContext, kind: str, path: str | None, name: str) -> str:
    return f"arn:aws:iam::{ctx.account_id}:{kind}{path or '/'}{name}"


def _credentials(ctx: ResourceContext):
    store = getattr(ctx.cloud, "credentials", None)
    if store is None:
        raise ResourceFailure("This server has no credential store configured for IAM access keys.")
    return store


def check_policy_document(document: Any, where: str, kind: str = "resource") -> None:
    """IAM's grammar checks, with IAM's MalformedPolicyDocument sentences. ``kind`` is
    ``identity`` (a user's, role's or managed policy: no Principal, Resource required),
    ``trust`` (a role's AssumeRolePolicyDocument) or ``resource`` (bucket and topic policies)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            raise ResourceFailure(f"Syntax errors in policy. ({where})") from None
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    statements = statements if isinstance(statements, list) else [statements]
    if not statements or not all(isinstance(s, Mapping) and s.get("Effect") in ("Allow", "Deny")
                                 for s in statements):
        raise ResourceFailure(f"Syntax errors in policy. ({where})")
    for statement in statements:
        if "Action" not in statement and "NotAction" not in statement:
            raise ResourceFailure(f"Policy statement must contain actions. ({where})")
        if kind == "identity" and ("Principal" in statement or "NotPrincipal" in statement):
            raise ResourceFailure(f"Policy document should not specify a principal. ({where})")
        if kind == "identity" and "Resource" not in statement and "NotResource" not in statement:
            raise ResourceFailure(f"Policy statement must contain resources. ({where})")


def _check_inline_policies(props: Mapping[str, Any]) -> None:
    for policy in props.get("Policies") or []:
        if not policy.get("PolicyName"):
            raise ResourceFailure("Every inline policy needs a PolicyName")
        check_policy_document(policy.get("PolicyDocument"), policy["PolicyName"], "identity")


def _refuse_taken_name(ctx: ResourceContext, type_name: str, name_property: str, name: str, message: str) -> None:
    """IAM's EntityAlreadyExists: names are unique in the account, in every region (and, for
    managed policies, whatever their path). A create in flight has only its properties."""
    for physical_id, props in recorded(ctx, type_name, every_region=True):
        if name in (props.get(name_property), physical_id and physical_id.rsplit("/", 1)[-1]):
            raise ResourceFailure(message)


def _require_entities(ctx: ResourceContext, type_name: str, kind: str, names: Any) -> None:
    """IAM's NoSuchEntity for roles and users named by a policy or profile: on cfnapi they exist
    only as stack resources (there is no IAM API), so the recorded ones are all there are."""
    for name in names or []:
        require_recorded(ctx, type_name, str(name), f"The {kind} with name {name} cannot be found.",
                         every_region=True)


_NOT_ENFORCED = "cfnapi does not evaluate IAM policies: nothing is allowed or denied by it"


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
    recorded_note = ("Recorded: the user owns the stack's AWS::IAM::AccessKey credentials, which sign requests "
                     f"to cfnapi; {_NOT_ENFORCED}, and groups and login profiles are recorded only. "
                     "Checked: the inline policies' grammar and that no other user has the name.")

    def create(self, ctx, props) -> str:
        _check_inline_policies(props)
        name = props.get("UserName") or physical_name(ctx, 64)
        _refuse_taken_name(ctx, self.type_name, "UserName", name, f"User with name {name} already exists.")
        return name

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
        _require_entities(ctx, User.type_name, "user", [props["UserName"]])
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
    recorded_note = (f"Recorded, not enforced: nothing assumes the role and instances get no credentials from "
                     f"it; {_NOT_ENFORCED}. Checked: the trust and inline policies' grammar and that no other "
                     "role has the name.")

    def create(self, ctx, props) -> str:
        self._validate(props)
        name = props.get("RoleName") or physical_name(ctx, 64)
        _refuse_taken_name(ctx, self.type_name, "RoleName", name, f"Role with name {name} already exists.")
        return name

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(new_props)

    @staticmethod
    def _validate(props) -> None:
        check_policy_document(props.get("AssumeRolePolicyDocument"), "AssumeRolePolicyDocument", "trust")
        _check_inline_policies(props)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Arn": _arn(ctx, "role", resource.properties.get("Path"), resource.physical_id),
                "RoleId": _unique_id("AROA", resource.physical_id)}


def _unique_id(prefix: str, name: str) -> str:
    """IAM's stable unique ids (AROA…, ANPA…): the prefix and 17 upper-case characters."""
    return prefix + hashlib.sha256(name.encode()).hexdigest().upper()[:17]


class Policy(ResourceType):
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
    recorded_note = (f"Recorded, not enforced: {_NOT_ENFORCED}. Checked: the document's grammar, that it names "
                     "at least one group, role or user, and that the roles and users exist.")

    def create(self, ctx, props) -> str:
        self._validate(ctx, props)
        return physical_name(ctx, 128)

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(ctx, new_props)

    def _validate(self, ctx, props) -> None:
        check_policy_document(props.get("PolicyDocument"), str(props.get("PolicyName")), "identity")
        if not any(props.get(k) for k in ("Groups", "Roles", "Users")):
            raise ResourceFailure("At least one of [Groups,Roles,Users] must be non-empty.")
        _require_entities(ctx, Role.type_name, "role", props.get("Roles"))
        _require_entities(ctx, User.type_name, "user", props.get("Users"))

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}


class RolePolicy(ResourceType):
    type_name = "AWS::IAM::RolePolicy"
    openstack_mapping = "recorded (validated; nothing enforces it)"
    properties = (
        PropertySpec("PolicyName", required=True, update="replace"),
        PropertySpec("RoleName", required=True, update="replace"),
        PropertySpec("PolicyDocument", "Json"),
    )
    recorded_note = (f"Recorded, not enforced: {_NOT_ENFORCED}. Checked: the document's grammar and that the "
                     "role exists.")

    def create(self, ctx, props) -> str:
        self._validate(ctx, props)
        return f"{props['PolicyName']}|{props['RoleName']}"

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(ctx, new_props)

    def _validate(self, ctx, props) -> None:
        if props.get("PolicyDocument") is not None:
            check_policy_document(props["PolicyDocument"], str(props.get("PolicyName")), "identity")
        _require_entities(ctx, Role.type_name, "role", [props["RoleName"]])


class ManagedPolicy(ResourceType):
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
    attribute_names = ("PolicyArn", "PolicyId", "DefaultVersionId", "AttachmentCount", "IsAttachable",
                       "PermissionsBoundaryUsageCount", "CreateDate", "UpdateDate")
    name_properties = ("ManagedPolicyName",)
    recorded_note = (f"Recorded, not enforced: {_NOT_ENFORCED}. Checked: the document's grammar, that no other "
                     "managed policy has the name, and that the roles and users exist. A PolicyDocument change "
                     "makes a new default version.")

    def create(self, ctx, props) -> str:
        self._validate(ctx, props)
        name = props.get("ManagedPolicyName") or physical_name(ctx, 128)
        _refuse_taken_name(ctx, self.type_name, "ManagedPolicyName", name,
                           f"A policy called {name} already exists. Duplicate names are not allowed.")
        return _arn(ctx, "policy", props.get("Path"), name)

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(ctx, new_props)

    def _validate(self, ctx, props) -> None:
        check_policy_document(props.get("PolicyDocument"), self.type_name, "identity")
        _require_entities(ctx, Role.type_name, "role", props.get("Roles"))
        _require_entities(ctx, User.type_name, "user", props.get("Users"))

    def attributes(self, ctx, resource) -> dict[str, Any]:
        # IAM makes version v2, v3 … the default on each document change; the engine passes the
        # attributes read last, so the version and dates carry on from them.
        before = resource.attributes
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        document = json.dumps(resource.properties.get("PolicyDocument"), sort_keys=True)
        version = int(str(before.get("DefaultVersionId", "v0"))[1:])
        changed = before.get(self._DOCUMENT) != document
        return {
            "PolicyArn": resource.physical_id,
            "PolicyId": _unique_id("ANPA", resource.physical_id),
            "DefaultVersionId": f"v{version + 1 if changed else version}",
            "AttachmentCount": sum(len(resource.properties.get(k) or []) for k in ("Groups", "Roles", "Users")),
            "IsAttachable": "true",
            "PermissionsBoundaryUsageCount": 0,
            "CreateDate": before.get("CreateDate", now),
            "UpdateDate": now if changed or not before else before.get("UpdateDate", now),
            self._DOCUMENT: document,
        }

    # Kept beside the attributes (never reachable by Fn::GetAtt): the document of the default version.
    _DOCUMENT = "DefaultVersionDocument"


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
    recorded_note = ("Recorded, not enforced: instances get no role credentials from it. Checked: it holds "
                     "exactly one role, the role exists, and no other instance profile has the name.")

    def create(self, ctx, props) -> str:
        self._validate(ctx, props)
        name = props.get("InstanceProfileName") or physical_name(ctx, 128)
        _refuse_taken_name(ctx, self.type_name, "InstanceProfileName", name,
                           f"Instance Profile {name} already exists.")
        return name

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(ctx, new_props)

    @staticmethod
    def _validate(ctx, props) -> None:
        if len(props.get("Roles") or []) != 1:
            raise ResourceFailure("An instance profile holds exactly one role.")
        _require_entities(ctx, Role.type_name, "role", props.get("Roles"))

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Arn": _arn(ctx, "instance-profile", resource.properties.get("Path"), resource.physical_id)}
