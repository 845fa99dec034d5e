"""The contract between the stack engine and one AWS resource type.

One small class per ``AWS::*`` type declares its properties (and whether a
change to each updates in place or replaces the resource), its ``Fn::GetAtt``
attributes and what ``Ref`` returns, and implements create / update / delete
as calls that return quickly plus ``check_*_complete`` polls. Retries,
timeouts, cancellation and events belong to the engine, never to a type.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from typing import Any, ClassVar, Literal

UpdateBehaviour = Literal["mutable", "replace", "conditional"]


@dataclass(frozen=True)
class PropertySpec:
    """One declared property. ``update`` is what changing it does to the resource:
    ``mutable`` (in place), ``replace`` (AWS's createOnlyProperties) or
    ``conditional`` (AWS "Replacement: Conditional" — depends on the values)."""

    name: str
    type: str = "String"  # String | Integer | Number | Boolean | List | Map | Json
    required: bool = False
    update: UpdateBehaviour = "mutable"


@dataclass(frozen=True)
class ResourceState:
    """What the engine knows of an existing resource when it calls a type."""

    logical_id: str
    physical_id: str | None
    properties: Mapping[str, Any]
    attributes: Mapping[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None  # when the create call was made (WaitCondition timeouts)


@dataclass(frozen=True)
class ResourceContext:
    """Everything a type may use besides its properties.

    ``cloud`` is the provider (opaque to the engine). The callables are
    supplied by the engine so types never reach into its tables.
    """

    account_id: str
    region: str
    stack_id: str
    stack_name: str
    logical_id: str
    cloud: Any = None
    # (stack_id, logical_id) -> presigned URL on this server for wait condition signals
    presign_signal_url: Callable[[str, str], str] | None = None
    # logical_id -> list of signals recorded for it: dicts with UniqueId, Status, Data, Reason
    signals_for: Callable[[str], list[dict]] | None = None
    # physical id (e.g. a handle URL) -> logical id of the resource of this stack that owns it
    logical_id_for_physical: Callable[[str], str | None] | None = None
    # The resource's CreationPolicy and UpdatePolicy attributes, resolved (Auto Scaling groups use them).
    creation_policy: Mapping[str, Any] | None = None
    update_policy: Mapping[str, Any] | None = None
    # Saved by the engine before ``create``: generated names end with it (``physical_name``), so
    # ``find_created`` can find what a create made if its process died before the id was saved.
    creation_token: str | None = None
    # When the engine saved that token (given to ``find_created`` only): an object named by the
    # template, which has nowhere to carry the token, is this create's only if made after it.
    token_saved_at: dt.datetime | None = None
    # The engine's narrow API for child stacks (``engine.nested.NestedStacks``):
    # AWS::CloudFormation::Stack creates, updates and deletes its stack only through it.
    nested_stacks: Any = None
    # (type name, every_region) -> (physical id, properties) of each other resource of that type the
    # account's stacks hold now (physical id None: its create is in flight). Record-only types check
    # AWS's rules that span resources (unique names, one rule number per ACL) against it.
    recorded_resources: Callable[..., list[tuple[str | None, Mapping[str, Any]]]] | None = None


class ResourceFailure(Exception):
    """The resource failed; the message becomes the ResourceStatusReason."""


class TransientError(Exception):
    """A temporary provider failure: the engine retries the call with backoff."""


class ResourceType:
    """Base of every resource type class. Subclasses set the class attributes
    and override the operations they need; the defaults suit resources that
    are complete as soon as they have an id."""

    type_name: ClassVar[str] = ""
    properties: ClassVar[tuple[PropertySpec, ...]] = ()
    attribute_names: ClassVar[tuple[str, ...]] = ()
    # Properties that, when set by the template, name the resource: such a
    # resource cannot be replaced (AWS: "CloudFormation cannot update a stack
    # when a custom-named resource requires replacing").
    name_properties: ClassVar[tuple[str, ...]] = ()
    # True when an update of the stack must reach the resource even though its
    # properties did not change (a nested stack: its template may have).
    update_when_unchanged: ClassVar[bool] = False
    # True when the resource spends its operations waiting for another stack (a
    # nested stack waits for its child): the engine runs it outside the bounded
    # resource pool, which the child's own resources need.
    waits_on_a_stack: ClassVar[bool] = False
    # For types with nothing underneath to enforce them: what is only recorded and what is
    # checked. It is the reason of their CREATE_COMPLETE / UPDATE_COMPLETE events, and the
    # generated docs table prints the same sentence.
    recorded_note: ClassVar[str | None] = None
    # True when ``create`` only works out the physical id (it makes nothing outside the
    # engine's own rows, so calling it again after a crash is harmless) and the resource
    # is complete at once: the engine then creates a whole ready wave of such resources
    # in its scheduler's thread and writes them, with all their events, in one transaction.
    # Not for a type whose create reads other resources' records (``ctx.recorded_resources``):
    # the members of a wave, and the waves not yet committed, cannot see each other there.
    completes_at_once: ClassVar[bool] = False

    @classmethod
    def property_spec(cls, name: str) -> PropertySpec | None:
        return _specs_by_name(cls).get(name)

    @classmethod
    def update_behaviour(cls, name: str) -> UpdateBehaviour:
        """What changing ``name`` does. Undeclared properties are taken from
        AWS's provider schema: createOnly means replace, otherwise in place."""
        spec = cls.property_spec(name)
        if spec is not None:
            return spec.update
        return "replace" if name in create_only_properties(cls.type_name) else "mutable"

    def ref(self, resource: ResourceState) -> str:
        """What ``Ref`` returns; AWS's default is the physical id."""
        return resource.physical_id or resource.logical_id

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        raise NotImplementedError(f"{self.type_name} cannot be created")

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """The physical id of what ``create`` made under ``ctx.creation_token``, if anything.
        Asked after a crash for a create whose physical id was never saved: on a resumed create
        (the engine adopts the answer instead of creating again) and before an interrupted
        update's rollback (which deletes it). What a create left half-made (its process died
        between two provider calls) is removed here and None answered, so nothing is left
        behind and a resumed create starts whole. Types whose creates make nothing outside the
        stack's own rows answer None (creating again is harmless)."""
        return None

    def check_create_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        return True

    def update(
        self,
        ctx: ResourceContext,
        resource: ResourceState,
        old_props: Mapping[str, Any],
        new_props: Mapping[str, Any],
    ) -> None:
        """Apply an in-place update. The default accepts it (nothing underneath)."""

    def check_update_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        return True

    def delete(self, ctx: ResourceContext, resource: ResourceState) -> None:
        """Start deleting. Must tolerate a resource that is already gone."""

    def check_delete_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        return True

    def attributes(self, ctx: ResourceContext, resource: ResourceState) -> dict[str, Any]:
        """Values for ``Fn::GetAtt``, read once the resource is complete."""
        return {}

    def completion_note(self, props: Mapping[str, Any]) -> str | None:
        """The reason written on the CREATE_COMPLETE / UPDATE_COMPLETE event: what of ``props``
        this cloud recorded without honouring it (None: everything asked was done)."""
        return self.recorded_note

    def snapshot(self, ctx: ResourceContext, resource: ResourceState) -> str | None:
        """Start a snapshot that outlives the resource (DeletionPolicy or UpdateReplacePolicy
        Snapshot) and return its id, or None when the resource is already gone. Only the
        types AWS can snapshot are asked; validation refuses the policy on any other."""
        raise NotImplementedError(f"{self.type_name} cannot be snapshotted")

    def check_snapshot_complete(self, ctx: ResourceContext, snapshot_id: str) -> bool:
        return True


@functools.cache
def _specs_by_name(cls: type[ResourceType]) -> dict[str, PropertySpec]:
    return {spec.name: spec for spec in cls.properties}


_SCHEMA_PACKAGE = "cfnlint.data.schemas"


@functools.cache
def _provider_index(region: str = "us-east-1") -> dict[str, str]:
    try:
        text = importlib_resources.files(_SCHEMA_PACKAGE).joinpath("providers", f"{region}.json").read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    return json.loads(text)


@functools.cache
def create_only_properties(type_name: str) -> frozenset[str]:
    """Top-level property names AWS's provider schema marks createOnly
    (changing them replaces the resource). Empty for unknown types."""
    schema_id = _provider_index().get(type_name)
    if not schema_id:
        return frozenset()
    try:
        text = importlib_resources.files(_SCHEMA_PACKAGE).joinpath("resources", f"{schema_id}.json").read_text()
    except FileNotFoundError:
        return frozenset()
    pointers = json.loads(text).get("createOnlyProperties", [])
    # "/properties/Name" or "/properties/Tags/*/Key": replacement is decided per top-level property
    return frozenset(p.split("/")[2] for p in pointers if p.startswith("/properties/") and p.count("/") >= 2)
