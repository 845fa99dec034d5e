"""AWS::EC2::Volume → a Cinder volume; AWS::EC2::VolumeAttachment → a Nova volume attachment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.cloud.provider import (
    VOLUME_AVAILABLE,
    VOLUME_ERROR,
    VOLUME_ERROR_EXTENDING,
    VOLUME_IN_USE,
    CloudProvider,
    VolumeBackup,
    VolumeSnapshot,
)
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceState, ResourceType
from cfnapi.translate import tagging
from cfnapi.translate.cloud_calls import call, exists, find_by_name, gone_ok, naming, physical_name, provider, tags_of


def _snapshot_source(cloud: CloudProvider, snapshot_id: str) -> VolumeSnapshot | VolumeBackup:
    """What an EBS SnapshotId names here: a Cinder snapshot, or the Cinder backup a
    DeletionPolicy/UpdateReplacePolicy Snapshot took (the id that policy reports), so that
    deleting a stack and restoring its volume in another works as it does on AWS."""
    snapshot = exists(cloud.get_volume_snapshot, snapshot_id)
    if snapshot is not None:
        return snapshot
    backup = exists(cloud.get_volume_backup, snapshot_id)
    if backup is not None:
        return backup
    raise ResourceFailure(f"The snapshot '{snapshot_id}' does not exist.")  # EC2's InvalidSnapshot.NotFound


class Volume(ResourceType):
    type_name = "AWS::EC2::Volume"
    openstack_mapping = ("Cinder volume (DeletionPolicy/UpdateReplacePolicy Snapshot: a Cinder backup; SnapshotId "
                         "takes a Cinder snapshot id or such a backup id, restored by volume create from backup, "
                         "Cinder API 3.47)")
    properties = (
        PropertySpec("AvailabilityZone", required=True, update="replace"),
        PropertySpec("Size", "Integer"),  # in place: Cinder extends (AWS ModifyVolume); never shrinks
        PropertySpec("SnapshotId", update="replace"),
        PropertySpec("VolumeType"),
        PropertySpec("Encrypted", "Boolean", update="replace"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("VolumeId",)
    not_honoured = ("Iops, Throughput, KmsKeyId, MultiAttachEnabled; a VolumeType change is recorded, not applied; "
                    "Size can only grow (Cinder extend). Tags are the volume's metadata.")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        zone = call(naming(ctx).cloud_zone_for, props["AvailabilityZone"], ctx.region)
        size = props.get("Size")
        if size in (None, "") and not props.get("SnapshotId"):
            raise ResourceFailure("The request must contain the parameter size or snapshotId")
        source = _snapshot_source(cloud, str(props["SnapshotId"])) if props.get("SnapshotId") else None
        if size in (None, ""):
            size = source.size_gb
        # AWS volume types (gp2, gp3 …) are not Cinder types; only pass names the cloud knows is unsafe to guess.
        volume = call(cloud.create_volume, int(size), name=physical_name(ctx), availability_zone=zone,
                      snapshot_id=source.id if isinstance(source, VolumeSnapshot) else None,
                      backup_id=source.id if isinstance(source, VolumeBackup) else None,
                      metadata=tags_of(props))
        return volume.id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        return find_by_name(call(provider(ctx).list_volumes), ctx)

    def check_create_complete(self, ctx, resource: ResourceState) -> bool:
        volume = call(provider(ctx).get_volume, resource.physical_id)
        if volume.status == VOLUME_ERROR:
            raise ResourceFailure(f"Volume {volume.id} went into error status")
        return volume.status == VOLUME_AVAILABLE

    def update(self, ctx, resource, old_props, new_props) -> None:
        cloud = provider(ctx)
        if tagging.tags_changed(old_props, new_props):
            call(cloud.set_volume_metadata, resource.physical_id, *tagging.metadata_change(old_props, new_props))
        old_size, new_size = old_props.get("Size"), new_props.get("Size")
        if new_size in (None, "") or str(old_size) == str(new_size):
            return
        current = call(cloud.get_volume, resource.physical_id).size_gb
        if int(new_size) < current:
            # EC2 ModifyVolume's own refusal; the update rolls back with this reason.
            raise ResourceFailure(f"New size cannot be smaller than existing size ({int(new_size)} < {current} GiB).")
        if int(new_size) > current:
            call(cloud.extend_volume, resource.physical_id, int(new_size))

    def check_update_complete(self, ctx, resource) -> bool:
        volume = call(provider(ctx).get_volume, resource.physical_id)
        if volume.status in (VOLUME_ERROR, VOLUME_ERROR_EXTENDING):
            raise ResourceFailure(f"Volume {volume.id} went into {volume.status} status")
        wanted = resource.properties.get("Size")
        return wanted in (None, "") or volume.size_gb >= int(wanted)

    def delete(self, ctx, resource) -> None:
        gone_ok(provider(ctx).delete_volume, resource.physical_id)

    def check_delete_complete(self, ctx, resource) -> bool:
        return exists(provider(ctx).get_volume, resource.physical_id) is None

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"VolumeId": resource.physical_id}

    def snapshot(self, ctx, resource) -> str | None:
        # A Cinder snapshot cannot outlive its volume (Cinder refuses to delete a volume
        # that has snapshots, or cascades and deletes them), so the EBS snapshot AWS
        # would keep becomes a Cinder backup, as Heat's Snapshot policy does. Forced:
        # EBS snapshots in-use volumes too.
        if exists(provider(ctx).get_volume, resource.physical_id) is None:
            return None
        backup = call(provider(ctx).create_volume_backup, resource.physical_id,
                      name=f"{ctx.stack_name}-{ctx.logical_id}-snapshot", force=True)
        return backup.id

    def check_snapshot_complete(self, ctx, snapshot_id: str) -> bool:
        backup = call(provider(ctx).get_volume_backup, snapshot_id)
        if backup.status == VOLUME_ERROR:
            raise ResourceFailure(f"Snapshot {snapshot_id} went into error status")
        return backup.status == VOLUME_AVAILABLE


class VolumeAttachment(ResourceType):
    type_name = "AWS::EC2::VolumeAttachment"
    openstack_mapping = "Nova server volume attachment"
    properties = (
        PropertySpec("InstanceId", required=True, update="replace"),
        PropertySpec("VolumeId", required=True, update="replace"),
        PropertySpec("Device", update="replace"),
    )
    not_honoured = "Device is a hint: the hypervisor picks the name (/dev/vdX) on most clouds."

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        call(provider(ctx).attach_volume, props["InstanceId"], props["VolumeId"], props.get("Device") or None)
        return f"{props['InstanceId']}:{props['VolumeId']}"  # unique per (server, volume), like Heat's

    def check_create_complete(self, ctx, resource) -> bool:
        volume = call(provider(ctx).get_volume, resource.properties["VolumeId"])
        return volume.status == VOLUME_IN_USE

    def delete(self, ctx, resource) -> None:
        server_id, volume_id = resource.properties["InstanceId"], resource.properties["VolumeId"]
        gone_ok(provider(ctx).detach_volume, server_id, volume_id)

    def check_delete_complete(self, ctx, resource) -> bool:
        volume = exists(provider(ctx).get_volume, resource.properties["VolumeId"])
        return volume is None or all(a.server_id != resource.properties["InstanceId"] for a in volume.attachments)
