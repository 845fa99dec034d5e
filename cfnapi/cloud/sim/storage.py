"""Cinder and Swift in the sim: volumes, snapshots, containers and their objects."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cfnapi.cloud import messages as msg
from cfnapi.cloud.provider import (
    VOLUME_AVAILABLE,
    VOLUME_CREATING,
    VOLUME_ERROR,
    VOLUME_IN_USE,
    Container,
    Volume,
    VolumeAttachment,
    VolumeBackup,
    VolumeSnapshot,
)
from cfnapi.cloud.sim import models as m
from cfnapi.cloud.sim.base import SimService, elapsed_seconds, merged_metadata
from cfnapi.cloud.sim.identity import new_id

SIM_OBJECT_STORE = "http://object-store.sim.invalid/v1"

_DELETABLE = (VOLUME_AVAILABLE, VOLUME_ERROR)


class SimStorageService(SimService):
    # --- volumes ------------------------------------------------------------

    def list_volumes(self) -> list[Volume]:
        with self._transaction() as session:
            return [self._volume_view(session, row) for row in session.scalars(self._owned(m.SimVolume))]

    def get_volume(self, volume_id: str) -> Volume:
        with self._transaction() as session:
            return self._volume_view(session, self._volume_row(session, volume_id))

    def create_volume(
        self,
        size_gb: int,
        *,
        name: str = "",
        availability_zone: str | None = None,
        snapshot_id: str | None = None,
        image_id: str | None = None,
        volume_type: str | None = None,
        backup_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Volume:
        with self._transaction() as session:
            row = self._new_volume_row(session, size_gb, name=name, availability_zone=availability_zone,
                                       snapshot_id=snapshot_id, image_id=image_id, volume_type=volume_type,
                                       backup_id=backup_id)
            row.volume_metadata = merged_metadata(None, metadata or {})
            return self._volume_view(session, row)

    def delete_volume(self, volume_id: str) -> None:
        with self._transaction() as session:
            row = self._volume_row(session, volume_id)
            status = self._volume_status(row)
            if status not in _DELETABLE:
                raise msg.volume_delete_wrong_status(status)
            snapshots = session.scalar(
                select(func.count()).select_from(m.SimVolumeSnapshot).where(m.SimVolumeSnapshot.volume_id == row.id)
            )
            if snapshots:
                raise msg.volume_has_snapshots(snapshots)
            session.delete(row)

    def extend_volume(self, volume_id: str, size_gb: int) -> None:
        """Cinder's os-extend: only larger, counted against the gigabytes quota. In-use
        volumes extend too (Cinder API 3.42+); the sim applies the new size at once."""
        with self._transaction() as session:
            row = self._volume_row(session, volume_id)
            status = self._volume_status(row)
            if status not in (VOLUME_AVAILABLE, VOLUME_IN_USE):
                raise msg.volume_extend_wrong_status(status)
            if size_gb <= row.size_gb:
                raise msg.volume_extend_not_larger(row.size_gb, size_gb)
            growth = size_gb - row.size_gb
            self._enforce_quota(
                session, "gigabytes", growth,
                lambda used, allowed: msg.volume_gigabytes_quota(growth, allowed, used),
            )
            row.size_gb = size_gb

    def set_volume_metadata(self, volume_id: str, items: Mapping[str, str], remove_keys: Sequence[str] = ()) -> None:
        with self._transaction() as session:
            row = self._volume_row(session, volume_id)
            row.volume_metadata = merged_metadata(row.volume_metadata, items, remove_keys)

    def force_volume_status(self, volume_id: str, status: str) -> Volume:
        """Test hook: put a volume into ``error`` (or back to ``available``)."""
        with self._transaction() as session:
            row = self._volume_row(session, volume_id)
            row.status = status
            return self._volume_view(session, row)

    def _new_volume_row(
        self,
        session: Session,
        size_gb: int,
        *,
        name: str,
        availability_zone: str | None,
        snapshot_id: str | None,
        image_id: str | None,
        volume_type: str | None,
        backup_id: str | None = None,
    ) -> m.SimVolume:
        if size_gb < 1:
            raise msg.invalid_input(f"Invalid input received: 'size' parameter must be at least 1, got {size_gb}")
        zones = list(session.scalars(select(m.SimAvailabilityZone.name).order_by(m.SimAvailabilityZone.position)))
        zone = availability_zone or zones[0]
        if zone not in zones:
            raise msg.cinder_availability_zone_invalid(zone)
        if snapshot_id:
            snapshot = session.scalar(self._owned(m.SimVolumeSnapshot).where(m.SimVolumeSnapshot.id == snapshot_id))
            if snapshot is None:
                raise msg.snapshot_not_found(snapshot_id)
            if size_gb < snapshot.size_gb:
                raise msg.volume_smaller_than_snapshot(size_gb, snapshot.size_gb)
        if image_id:
            self._find(session, m.SimImage, image_id, msg.image_not_found)
        if backup_id:
            self._check_restorable(session, backup_id, size_gb)
        self._enforce_quota(session, "volumes", 1, lambda used, allowed: msg.volume_count_quota(allowed))
        self._enforce_quota(
            session, "gigabytes", size_gb,
            lambda used, allowed: msg.volume_gigabytes_quota(size_gb, allowed, used),
        )
        row = m.SimVolume(
            id=new_id(), project_id=self.project_id, name=name, size_gb=size_gb, status=VOLUME_CREATING,
            availability_zone=zone, snapshot_id=snapshot_id, image_id=image_id, volume_type=volume_type,
            backup_id=backup_id, created_at=self.clock(),
        )
        session.add(row)
        session.flush()
        return row

    def _check_restorable(self, session: Session, backup_id: str, size_gb: int) -> None:
        """Cinder's checks on a volume made from a backup: an available backup, no smaller volume."""
        backup = self._backup_view(self._backup_row(session, backup_id))
        if backup.status != VOLUME_AVAILABLE:
            raise msg.backup_not_available(backup.status)
        if size_gb < backup.size_gb:
            raise msg.volume_smaller_than_backup(size_gb, backup.size_gb)

    def _volume_row(self, session: Session, volume_id: str) -> m.SimVolume:
        row = session.scalar(self._owned(m.SimVolume).where(m.SimVolume.id == volume_id))
        if row is None:
            raise msg.volume_not_found(volume_id)
        return row

    def _volume_status(self, row: m.SimVolume) -> str:
        return observed_volume_status(row, self.config.behaviour.volume_create_seconds, self.clock())

    def _volume_view(self, session: Session, row: m.SimVolume) -> Volume:
        attachments = session.scalars(select(m.SimVolumeAttachment).where(m.SimVolumeAttachment.volume_id == row.id))
        return Volume(
            id=row.id, name=row.name, size_gb=row.size_gb, status=self._volume_status(row),
            availability_zone=row.availability_zone,
            attachments=tuple(VolumeAttachment(a.volume_id, a.server_id, a.device) for a in attachments),
            snapshot_id=row.snapshot_id, image_id=row.image_id, volume_type=row.volume_type,
            bootable=row.image_id is not None, backup_id=row.backup_id, metadata=dict(row.volume_metadata or {}),
        )

    # --- snapshots ----------------------------------------------------------

    def create_volume_snapshot(self, volume_id: str, name: str = "", force: bool = False) -> VolumeSnapshot:
        with self._transaction() as session:
            volume = self._volume_row(session, volume_id)
            status = self._volume_status(volume)
            if status != VOLUME_AVAILABLE and not (force and status == VOLUME_IN_USE):
                raise msg.snapshot_wrong_volume_status(status)
            self._enforce_quota(session, "snapshots", 1, lambda used, allowed: msg.snapshot_count_quota(allowed))
            self._enforce_quota(
                session, "gigabytes", volume.size_gb,
                lambda used, allowed: msg.volume_gigabytes_quota(volume.size_gb, allowed, used),
            )
            row = m.SimVolumeSnapshot(
                id=new_id(), project_id=self.project_id, volume_id=volume.id, name=name, size_gb=volume.size_gb,
                status=VOLUME_CREATING, created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return self._snapshot_view(row)

    def get_volume_snapshot(self, snapshot_id: str) -> VolumeSnapshot:
        with self._transaction() as session:
            return self._snapshot_view(self._snapshot_row(session, snapshot_id))

    def delete_volume_snapshot(self, snapshot_id: str) -> None:
        with self._transaction() as session:
            session.delete(self._snapshot_row(session, snapshot_id))

    def _snapshot_row(self, session: Session, snapshot_id: str) -> m.SimVolumeSnapshot:
        row = session.scalar(self._owned(m.SimVolumeSnapshot).where(m.SimVolumeSnapshot.id == snapshot_id))
        if row is None:
            raise msg.snapshot_not_found(snapshot_id)
        return row

    def _snapshot_view(self, row: m.SimVolumeSnapshot) -> VolumeSnapshot:
        status = row.status
        if status == VOLUME_CREATING and (
            elapsed_seconds(row.created_at, self.clock()) >= self.config.behaviour.snapshot_create_seconds
        ):
            status = VOLUME_AVAILABLE
        return VolumeSnapshot(row.id, row.name, row.volume_id, row.size_gb, status)

    # --- backups (what outlives a volume) ------------------------------------

    def create_volume_backup(self, volume_id: str, name: str = "", force: bool = False) -> VolumeBackup:
        with self._transaction() as session:
            volume = self._volume_row(session, volume_id)
            status = self._volume_status(volume)
            if status not in (VOLUME_AVAILABLE, VOLUME_IN_USE):
                raise msg.backup_wrong_volume_status(status)
            if status == VOLUME_IN_USE and not force:
                raise msg.backup_in_use_needs_force()
            self._enforce_quota(session, "backups", 1, lambda used, allowed: msg.backup_count_quota(allowed))
            self._enforce_quota(
                session, "backup_gigabytes", volume.size_gb,
                lambda used, allowed: msg.backup_gigabytes_quota(volume.size_gb, allowed, used),
            )
            row = m.SimVolumeBackup(
                id=new_id(), project_id=self.project_id, volume_id=volume.id, name=name, size_gb=volume.size_gb,
                status=VOLUME_CREATING, created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return self._backup_view(row)

    def get_volume_backup(self, backup_id: str) -> VolumeBackup:
        with self._transaction() as session:
            return self._backup_view(self._backup_row(session, backup_id))

    def delete_volume_backup(self, backup_id: str) -> None:
        with self._transaction() as session:
            row = self._backup_row(session, backup_id)
            status = self._backup_view(row).status
            if status not in _DELETABLE:
                raise msg.backup_delete_wrong_status(status)
            session.delete(row)

    def _backup_row(self, session: Session, backup_id: str) -> m.SimVolumeBackup:
        row = session.scalar(self._owned(m.SimVolumeBackup).where(m.SimVolumeBackup.id == backup_id))
        if row is None:
            raise msg.backup_not_found(backup_id)
        return row

    def _backup_view(self, row: m.SimVolumeBackup) -> VolumeBackup:
        status = row.status
        if status == VOLUME_CREATING and (
            elapsed_seconds(row.created_at, self.clock()) >= self.config.behaviour.backup_create_seconds
        ):
            status = VOLUME_AVAILABLE
        return VolumeBackup(row.id, row.name, row.volume_id, row.size_gb, status)

    # --- object storage -----------------------------------------------------

    def list_containers(self) -> list[Container]:
        with self._transaction() as session:
            rows = session.scalars(self._owned(m.SimContainer).order_by(m.SimContainer.name))
            return [self._container_view(session, row) for row in rows]

    def get_container(self, name: str) -> Container:
        with self._transaction() as session:
            return self._container_view(session, self._container_row(session, name))

    def create_container(self, name: str, metadata: Mapping[str, str] | None = None) -> Container:
        """Swift's PUT on a container is idempotent: an existing one is returned, with the
        metadata items sent set on it (Swift lowercases their names)."""
        if not name or "/" in name or len(name) > 256:
            raise msg.invalid_input(f"container name {name!r} is not valid")
        sent = {str(k).lower(): str(v) for k, v in (metadata or {}).items()}
        with self._transaction() as session:
            row = session.scalar(self._owned(m.SimContainer).where(m.SimContainer.name == name))
            if row is None:
                row = m.SimContainer(id=new_id(), project_id=self.project_id, name=name, container_metadata=sent)
                session.add(row)
                session.flush()
            elif sent:
                row.container_metadata = {**(row.container_metadata or {}), **sent}
            return self._container_view(session, row)

    def container_is_empty(self, name: str) -> bool:
        return self.get_container(name).object_count == 0

    def put_object(self, container: str, name: str, data: bytes) -> None:
        with self._transaction() as session:
            row = self._container_row(session, container)
            session.merge(m.SimObject(container_id=row.id, name=name, data=bytes(data)))

    def delete_container(self, name: str) -> None:
        with self._transaction() as session:
            row = self._container_row(session, name)
            if self._container_view(session, row).object_count:
                raise msg.container_not_empty(name)
            session.delete(row)

    def set_container_metadata(self, name: str, metadata: Mapping[str, str]) -> None:
        with self._transaction() as session:
            row = self._container_row(session, name)
            row.container_metadata = {str(k).lower(): str(v) for k, v in metadata.items()}

    def container_url(self, name: str) -> str:
        # The sim serves no objects: a reserved (.invalid) host keeps the URL honest yet Swift-shaped.
        return f"{SIM_OBJECT_STORE}/AUTH_{self.project_id}/{urllib.parse.quote(name)}"

    def _container_row(self, session: Session, name: str) -> m.SimContainer:
        row = session.scalar(self._owned(m.SimContainer).where(m.SimContainer.name == name))
        if row is None:
            raise msg.container_not_found(name)
        return row

    def _container_view(self, session: Session, row: m.SimContainer) -> Container:
        count, size = session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(m.SimObject.data)), 0))
            .where(m.SimObject.container_id == row.id)
        ).one()
        return Container(row.name, int(count), int(size), dict(row.container_metadata or {}))


def observed_volume_status(row: m.SimVolume, create_seconds: float, now) -> str:
    """What the sim's Cinder reports: a creating volume is available once its create time has passed
    (the row keeps saying creating; see compute.observed_server_status)."""
    if row.status == VOLUME_CREATING and elapsed_seconds(row.created_at, now) >= create_seconds:
        return VOLUME_AVAILABLE
    return row.status
