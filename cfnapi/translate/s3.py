"""AWS::S3::Bucket → a Swift container; AWS::S3::BucketPolicy → validated and recorded.

The container is the bucket: its name is the bucket name (BucketName, or a generated
``stack-logical-random`` in lowercase, at most 63 characters, as CloudFormation makes
them), Tags are container metadata (``X-Container-Meta-Tag-<key>``, the key escaped so
that Swift's case-insensitive header names keep it), and deleting a bucket that still
holds objects fails with S3's words, leaving the resource DELETE_FAILED as on AWS.

Attributes point at the object store, since that is where the bucket's objects are:
``WebsiteURL`` is the container's URL on the object-store endpoint (Swift serves a
container as a static site with its staticweb middleware), and ``DomainName``,
``RegionalDomainName`` and ``DualStackDomainName`` are that endpoint's host (path-style
addressing: the bucket is the first path segment, not a DNS label). ``Arn`` is S3's
``arn:aws:s3:::name``. Bucket features Swift has no equivalent for are recorded and
named in the event reason; nothing is silently dropped.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType, TransientError
from cfnapi.translate.cloud_calls import (
    call,
    cloud_errors,
    creation_marker,
    exists,
    physical_name,
    provider,
    recorded_only,
    short_id,
    tags_of,
)
from cfnapi.translate.iam import check_policy_document

MAX_BUCKET_NAME = 63
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
TAG_PREFIX = "tag-"
CREATION_TOKEN_KEY = "cfn-creation-token"  # X-Container-Meta-Cfn-Creation-Token
NOT_EMPTY = ("The bucket you tried to delete is not empty "
             "(Service: Amazon S3; Status Code: 409; Error Code: BucketNotEmpty)")

# Accepted and kept with the resource, but not enforced: Swift has no equivalent.
RECORDED = (
    "AccelerateConfiguration", "AccessControl", "AnalyticsConfigurations", "BucketEncryption",
    "CorsConfiguration", "IntelligentTieringConfigurations", "InventoryConfigurations",
    "LifecycleConfiguration", "LoggingConfiguration", "MetricsConfigurations", "MetadataTableConfiguration",
    "NotificationConfiguration", "ObjectLockConfiguration", "ObjectLockEnabled", "OwnershipControls",
    "PublicAccessBlockConfiguration", "ReplicationConfiguration", "VersioningConfiguration",
    "WebsiteConfiguration",
)


def check_bucket_name(name: str) -> None:
    """S3's bucket naming rules (InvalidBucketName)."""
    if name != name.lower():
        raise ResourceFailure("Bucket name should not contain uppercase characters")
    if not _BUCKET_NAME.match(name) or ".." in name or _IP_ADDRESS.match(name):
        raise ResourceFailure(f"The specified bucket is not valid. (Bucket: {name})")


def generated_bucket_name(ctx: ResourceContext) -> str:
    """CloudFormation's generated bucket name: lowercase, only S3's characters, ≤ 63."""
    name = re.sub(r"[^a-z0-9-]", "-", physical_name(ctx, MAX_BUCKET_NAME).lower())
    return name.strip("-") or short_id("bucket")


def tag_metadata(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags as Swift metadata: each byte outside [a-z0-9-] of the key escaped as ``_xx``
    (Swift header names are case-insensitive tokens; S3 tag keys are neither)."""
    def escape(key: str) -> str:
        return "".join(chr(b) if chr(b) in "abcdefghijklmnopqrstuvwxyz0123456789-" else f"_{b:02x}"
                       for b in key.encode())
    return {TAG_PREFIX + escape(key): value for key, value in tags.items()}


def tags_from_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    def unescape(name: str) -> str:
        return re.sub(rb"_([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name.encode()).decode()
    return {unescape(k[len(TAG_PREFIX):]): v for k, v in metadata.items() if k.startswith(TAG_PREFIX)}


class Bucket(ResourceType):
    type_name = "AWS::S3::Bucket"
    openstack_mapping = "Swift container (Tags as container metadata)"
    # Only what is honoured is declared (the docs table lists these); RECORDED properties are
    # accepted like any undeclared one, their update behaviour taken from AWS's schema.
    properties = (PropertySpec("BucketName", update="replace"), PropertySpec("Tags", "List"))
    attribute_names = ("Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL")
    name_properties = ("BucketName",)
    not_honoured = (f"Recorded, not enforced (said in the event reason): {', '.join(RECORDED)}. "
                    "DomainName, RegionalDomainName and DualStackDomainName are the object store's host "
                    "(path-style); WebsiteURL is the container's URL.")

    def create(self, ctx, props) -> str:
        name = str(props.get("BucketName") or generated_bucket_name(ctx))
        check_bucket_name(name)
        cloud = provider(ctx)
        if exists(cloud.get_container, name) is not None:
            raise ResourceFailure(f"{name} already exists")  # CloudFormation's words for a taken name
        # Tags and the creation token go with the PUT itself: nothing a crash could separate.
        marker = {CREATION_TOKEN_KEY: creation_marker(ctx)} if ctx.creation_token else {}
        call(cloud.create_container, name, {**tag_metadata(tags_of(props)), **marker})
        return name

    def find_created(self, ctx, props) -> str | None:
        """By the creation token in the container's metadata, so a custom BucketName is found
        too (and a container of that name made by anyone else is not)."""
        if not ctx.creation_token:
            return None
        name = str(props.get("BucketName") or generated_bucket_name(ctx))
        container = exists(provider(ctx).get_container, name)
        if container is None or container.metadata.get(CREATION_TOKEN_KEY) != creation_marker(ctx):
            return None
        return name

    def update(self, ctx, resource, old_props, new_props) -> None:
        if tags_of(old_props) != tags_of(new_props):
            cloud = provider(ctx)
            kept = {k: v for k, v in call(cloud.get_container, resource.physical_id).metadata.items()
                    if not k.startswith(TAG_PREFIX)}
            call(cloud.set_container_metadata, resource.physical_id, {**kept, **tag_metadata(tags_of(new_props))})

    def delete(self, ctx, resource) -> None:
        if not resource.physical_id:
            return
        with cloud_errors():
            try:
                provider(ctx).delete_container(resource.physical_id)
            except CloudError as error:
                if error.kind is ErrorKind.NOT_FOUND:
                    return
                if error.kind is ErrorKind.CONFLICT:  # Swift's 409: objects remain
                    raise ResourceFailure(NOT_EMPTY) from error
                raise

    def attributes(self, ctx, resource) -> dict[str, Any]:
        name = resource.physical_id
        url = call(provider(ctx).container_url, name)
        host = urllib.parse.urlsplit(url).netloc
        return {"Arn": f"arn:aws:s3:::{name}", "DomainName": host, "RegionalDomainName": host,
                "DualStackDomainName": host, "WebsiteURL": url}

    def completion_note(self, props) -> str | None:
        return recorded_only(props, RECORDED, "on the object store")


class BucketPolicy(ResourceType):
    type_name = "AWS::S3::BucketPolicy"
    openstack_mapping = "validated and recorded, NOT enforced (Swift ACLs are not derived from it)"
    properties = (
        PropertySpec("Bucket", required=True, update="replace"),
        PropertySpec("PolicyDocument", "Json", required=True),
    )
    not_honoured = "Everything: the policy is checked for shape and recorded; the container's access is unchanged."

    def create(self, ctx, props) -> str:
        self._validate(ctx, props)
        return short_id("bucketpolicy")

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(ctx, new_props)

    def completion_note(self, props) -> str | None:
        return "The bucket policy is recorded, not enforced on the object store."

    @staticmethod
    def _validate(ctx: ResourceContext, props: Mapping[str, Any]) -> None:
        check_policy_document(props.get("PolicyDocument"), "PolicyDocument")
        bucket = str(props.get("Bucket") or "")
        if exists(provider(ctx).get_container, bucket) is None:
            # Templates often name the bucket with the same Sub instead of a Ref, so nothing orders
            # the policy after its bucket: the engine's transient retries give the bucket time to
            # appear, and the failure after the last one carries S3's NoSuchBucket words.
            raise TransientError("The specified bucket does not exist")
