"""Nova (and the bits of Glance Nova exposes) in the sim: flavors, images, zones, keypairs, servers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cfnapi.cloud import messages as msg
from cfnapi.cloud.provider import (
    SERVER_ACTIVE,
    SERVER_BUILD,
    SERVER_ERROR,
    SERVER_VERIFY_RESIZE,
    SERVER_SHUTOFF,
    VOLUME_IN_USE,
    AvailabilityZone,
    FixedIp,
    Flavor,
    Image,
    KeyPair,
    NetworkRequest,
    Server,
    ServerAddress,
    ServerRequest,
    VolumeAttachment,
)
from cfnapi.cloud.sim import models as m
from cfnapi.cloud.sim.base import as_utc, elapsed_seconds, merged_metadata
from cfnapi.cloud.sim.identity import generate_ssh_keypair, new_id, public_key_fingerprint
from cfnapi.cloud.sim.network import SimNetworkService
from cfnapi.cloud.sim.storage import SimStorageService

_FORCEABLE = (SERVER_ACTIVE, SERVER_ERROR, SERVER_SHUTOFF, SERVER_BUILD)


def observed_server_status(row: m.SimServer, behaviour, now) -> str:
    """What the sim's Nova reports: a BUILD server is ACTIVE once its build time has passed,
    and a resize left in VERIFY_RESIZE past Nova's resize_confirm_window is confirmed.

    The row keeps saying BUILD (nothing rewrites it when the time passes), so
    everything that shows a server's status — the API and ``cfnapi sim show``
    alike — asks here rather than reading ``row.status``."""
    if row.status == SERVER_BUILD and elapsed_seconds(row.created_at, now) >= behaviour.server_build_seconds:
        return SERVER_ACTIVE
    window = behaviour.resize_confirm_window_seconds
    if (row.status == SERVER_VERIFY_RESIZE and window > 0 and row.resized_at is not None
            and elapsed_seconds(row.resized_at, now) >= window):
        return row.status_before_resize or SERVER_ACTIVE  # Nova confirmed it by itself
    return row.status


class SimComputeService(SimNetworkService, SimStorageService):
    """Servers need ports and volumes, so compute sits on top of network and storage."""

    # --- flavors, images, zones ----------------------------------------------

    def list_flavors(self) -> list[Flavor]:
        with self._transaction() as session:
            rows = session.scalars(select(m.SimFlavor).order_by(m.SimFlavor.vcpus, m.SimFlavor.ram_mb, m.SimFlavor.name))
            return [_flavor_view(row) for row in rows]

    def get_flavor(self, flavor_id: str) -> Flavor:
        with self._transaction() as session:
            return _flavor_view(self._flavor_row(session, flavor_id))

    def list_images(self) -> list[Image]:
        with self._transaction() as session:
            return [_image_view(row) for row in session.scalars(self._visible(m.SimImage).order_by(m.SimImage.name))]

    def get_image(self, image_id: str) -> Image:
        with self._transaction() as session:
            return _image_view(self._find(session, m.SimImage, image_id, msg.image_not_found))

    def find_image(self, name_or_id: str) -> Image | None:
        with self._transaction() as session:
            row = session.scalar(
                self._visible(m.SimImage).where(or_(m.SimImage.id == name_or_id, m.SimImage.name == name_or_id))
                .order_by(m.SimImage.id != name_or_id)  # an exact id wins over a name
            )
            return None if row is None else _image_view(row)

    def list_availability_zones(self) -> list[AvailabilityZone]:
        with self._transaction() as session:
            return [AvailabilityZone(name) for name in self._zone_names(session)]

    def _zone_names(self, session: Session) -> list[str]:
        return list(session.scalars(select(m.SimAvailabilityZone.name).order_by(m.SimAvailabilityZone.position)))

    def _flavor_row(self, session: Session, flavor_id: str) -> m.SimFlavor:
        row = session.get(m.SimFlavor, flavor_id) or session.scalar(
            select(m.SimFlavor).where(m.SimFlavor.name == flavor_id)
        )
        if row is None:
            raise msg.flavor_not_found(flavor_id)
        return row

    # --- keypairs -----------------------------------------------------------

    def list_keypairs(self) -> list[KeyPair]:
        with self._transaction() as session:
            return [_keypair_view(row) for row in session.scalars(self._visible(m.SimKeyPair).order_by(m.SimKeyPair.name))]

    def get_keypair(self, name: str) -> KeyPair:
        with self._transaction() as session:
            return _keypair_view(self._keypair_row(session, name))

    def create_keypair(self, name: str) -> KeyPair:
        public_key, private_key = generate_ssh_keypair("Generated-by-Nova")
        created = self.import_keypair(name, public_key)
        return KeyPair(created.name, created.fingerprint, created.public_key, private_key, created.created_at)

    def import_keypair(self, name: str, public_key: str) -> KeyPair:
        fingerprint = public_key_fingerprint(public_key)
        if fingerprint is None:
            raise msg.invalid_public_key()
        with self._transaction() as session:
            if session.scalar(self._visible(m.SimKeyPair).where(m.SimKeyPair.name == name)) is not None:
                raise msg.keypair_exists(name)
            self._enforce_quota(session, "key_pairs", 1, lambda used, allowed: msg.keypair_quota())
            row = m.SimKeyPair(id=new_id(), project_id=self.project_id, name=name,
                               public_key=public_key.strip(), fingerprint=fingerprint, created_at=self.clock())
            session.add(row)
            session.flush()
            return _keypair_view(row)

    def delete_keypair(self, name: str) -> None:
        with self._transaction() as session:
            row = session.scalar(self._owned(m.SimKeyPair).where(m.SimKeyPair.name == name))
            if row is None:
                raise msg.keypair_not_found(name, self.project_id)
            session.delete(row)

    def _keypair_row(self, session: Session, name: str) -> m.SimKeyPair:
        row = session.scalar(
            self._visible(m.SimKeyPair).where(m.SimKeyPair.name == name).order_by(m.SimKeyPair.project_id.is_(None))
        )
        if row is None:
            raise msg.keypair_not_found(name, self.project_id)
        return row

    # --- servers ------------------------------------------------------------

    def list_servers(self) -> list[Server]:
        self._finish_deletions()
        with self._transaction() as session:
            return [self._server_view(session, row) for row in session.scalars(self._owned(m.SimServer))]

    def get_server(self, server_id: str) -> Server:
        self._finish_deletions()
        with self._transaction() as session:
            return self._server_view(session, self._server_row(session, server_id))

    def create_server(self, request: ServerRequest) -> Server:
        with self._transaction() as session:
            flavor = self._flavor_row(session, request.flavor_id)
            boots_from_volume = any(d.boot_index == 0 for d in request.block_devices)
            if request.image_id:
                self._find(session, m.SimImage, request.image_id, msg.image_not_found)
            elif not boots_from_volume:
                raise msg.boot_source_missing()
            if request.key_name and session.scalar(
                self._visible(m.SimKeyPair).where(m.SimKeyPair.name == request.key_name)
            ) is None:
                raise msg.invalid_key_name()
            zones = self._zone_names(session)
            zone = request.availability_zone or zones[0]
            if zone not in zones:
                raise msg.availability_zone_unavailable()
            group_ids = []
            for group in request.security_groups or (self.config.default_security_group,):
                row = self._lookup_group(session, group)
                if row is None:
                    raise msg.security_group_not_found_for_project(group, self.project_id)
                group_ids.append(row.id)
            self._enforce_compute_quotas(session, flavor)

            server = m.SimServer(
                id=new_id(), project_id=self.project_id, name=request.name, status=SERVER_BUILD,
                image_id=request.image_id, flavor_id=flavor.id, vcpus=flavor.vcpus, ram_mb=flavor.ram_mb,
                key_name=request.key_name, user_data=request.user_data, availability_zone=zone,
                security_groups=[self._lookup_group(session, g).name for g in group_ids],
                server_metadata=dict(request.metadata), created_port_ids=[], created_at=self.clock(),
            )
            session.add(server)
            session.flush()
            self._plug_networks(session, server, request, group_ids)
            self._map_block_devices(session, server, request)
            return self._server_view(session, server)

    def delete_server(self, server_id: str) -> None:
        self._finish_deletions()
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            if self.config.behaviour.server_delete_seconds > 0:
                # Nova accepts the delete and finishes it later; asking again changes nothing.
                if server.deleting_since is None:
                    server.deleting_since = self.clock()
                return
            self._remove_server(session, server)

    def _remove_server(self, session: Session, server: m.SimServer) -> None:
        """What a finished server delete leaves behind: its own ports and delete-on-termination
        volumes gone, other ports and volumes unbound."""
        for port in session.scalars(select(m.SimPort).where(m.SimPort.device_id == server.id)).all():
            if port.id in server.created_port_ids:
                self._delete_port(session, port)
            else:
                port.device_id, port.device_owner = "", ""
        for attachment in session.scalars(
            select(m.SimVolumeAttachment).where(m.SimVolumeAttachment.server_id == server.id)
        ).all():
            volume = session.get(m.SimVolume, attachment.volume_id)
            session.delete(attachment)
            session.flush()
            if attachment.delete_on_termination:
                session.delete(volume)
            else:
                volume.status = "available"
        session.delete(server)

    def resize_server(self, server_id: str, flavor_id: str) -> None:
        """The sim migrates at once: the server lands in VERIFY_RESIZE on the new flavor.
        Nova checks quota for the growth only (cores and RAM the new flavor adds)."""
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            status = self._server_status(server)
            if status not in (SERVER_ACTIVE, SERVER_SHUTOFF):
                raise msg.server_wrong_state(server.id, "resize", status.lower())
            flavor = self._flavor_row(session, flavor_id)
            if flavor.id == server.flavor_id:
                raise msg.resize_same_flavor()
            for resource, growth in (("cores", flavor.vcpus - server.vcpus), ("ram", flavor.ram_mb - server.ram_mb)):
                if growth > 0:
                    self._enforce_quota(
                        session, resource, growth,
                        lambda used, allowed, r=resource, n=growth: msg.compute_quota(r, n, used, allowed),
                    )
            server.flavor_id, server.vcpus, server.ram_mb = flavor.id, flavor.vcpus, flavor.ram_mb
            server.status_before_resize, server.resized_at = status, self.clock()
            server.status = SERVER_VERIFY_RESIZE

    def rebuild_server(self, server_id: str, image_id: str, user_data: str | None) -> None:
        """Nova's rebuild with new user data; the sim rebuilds at once (as it resizes), keeping the
        id, ports and volumes. A stopped server stays stopped, one in ERROR comes back ACTIVE."""
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            status = self._server_status(server)
            if status not in (SERVER_ACTIVE, SERVER_SHUTOFF, SERVER_ERROR):
                raise msg.server_wrong_state(server.id, "rebuild", status.lower())
            self._find(session, m.SimImage, image_id, msg.image_not_found)
            if server.image_id is not None:  # volume-backed: Nova (before 2.93) keeps the root volume
                server.image_id = image_id
            server.user_data = user_data
            if status == SERVER_ERROR:
                server.status, server.fault = SERVER_ACTIVE, None

    def confirm_server_resize(self, server_id: str) -> None:
        """Back to the status the server had before the resize; refused as Nova refuses it once
        the resize was confirmed (also by the auto-confirm window)."""
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            status = self._server_status(server)
            if status != SERVER_VERIFY_RESIZE:
                raise msg.server_wrong_state(server.id, "confirmResize", status.lower())
            self._settle_resize(server)

    @staticmethod
    def _settle_resize(server: m.SimServer) -> None:
        server.status = server.status_before_resize or SERVER_ACTIVE
        server.status_before_resize, server.resized_at = None, None

    def force_server_status(self, server_id: str, status: str, fault: str | None = None) -> Server:
        """Test hook: put a server into ERROR (with Nova's fault text), SHUTOFF, ACTIVE or BUILD."""
        if status not in _FORCEABLE:
            raise ValueError(f"status must be one of {_FORCEABLE}")
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            server.status = status
            server.fault = fault if status == SERVER_ERROR else None
            if status == SERVER_BUILD:
                server.created_at = self.clock()
            return self._server_view(session, server)

    def attach_volume(self, server_id: str, volume_id: str, device: str | None = None) -> VolumeAttachment:
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            return self._attach(session, server, volume_id, device, delete_on_termination=False)

    def detach_volume(self, server_id: str, volume_id: str) -> None:
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            attachment = session.get(m.SimVolumeAttachment, volume_id)
            if attachment is None or attachment.server_id != server.id:
                raise msg.volume_not_attached_to_server(volume_id, server.id)
            session.delete(attachment)
            session.get(m.SimVolume, volume_id).status = "available"

    def set_server_metadata(self, server_id: str, items: Mapping[str, str], remove_keys: Sequence[str] = ()) -> None:
        with self._transaction() as session:
            server = self._server_row(session, server_id)
            server.server_metadata = merged_metadata(server.server_metadata, items, remove_keys)

    def _server_row(self, session: Session, server_id: str) -> m.SimServer:
        row = session.scalar(self._owned(m.SimServer).where(m.SimServer.id == server_id))
        if row is None:
            raise msg.server_not_found(server_id)
        return row

    def _finish_deletions(self) -> None:
        """Deletes accepted earlier complete once their time has passed. Checked lazily before
        servers are read, in a transaction of its own so that a NotFound that follows cannot
        roll the removal back."""
        if self.config.behaviour.server_delete_seconds <= 0:
            return
        with self._transaction() as session:
            for row in session.scalars(self._owned(m.SimServer).where(m.SimServer.deleting_since.is_not(None))).all():
                if elapsed_seconds(row.deleting_since, self.clock()) >= self.config.behaviour.server_delete_seconds:
                    self._remove_server(session, row)

    def _enforce_compute_quotas(self, session: Session, flavor: m.SimFlavor) -> None:
        for resource, requested in (("instances", 1), ("cores", flavor.vcpus), ("ram", flavor.ram_mb)):
            self._enforce_quota(
                session, resource, requested,
                lambda used, allowed, r=resource, n=requested: msg.compute_quota(r, n, used, allowed),
            )

    def _plug_networks(self, session: Session, server: m.SimServer, request: ServerRequest, group_ids: list[str]) -> None:
        owner = f"compute:{server.availability_zone}"
        nics = request.networks or (NetworkRequest(network_id=self.config.default_network.network_id),)
        created = []
        for nic in nics:
            if nic.port_id:
                port = self._find_owned(session, m.SimPort, nic.port_id, msg.port_not_found)
                if port.device_id:
                    raise msg.port_in_use(port.id, port.network_id, port.device_id)
                port.device_id, port.device_owner = server.id, owner
            else:
                port = self._create_port(
                    session, nic.network_id or "", security_group_ids=group_ids,
                    fixed_ips=[FixedIp(None, nic.fixed_ip)] if nic.fixed_ip else (),
                    device_id=server.id, device_owner=owner,
                )
                created.append(port.id)
        server.created_port_ids = created

    def _map_block_devices(self, session: Session, server: m.SimServer, request: ServerRequest) -> None:
        for device in request.block_devices:
            if device.destination_type != "volume":
                continue  # local (ephemeral) disks have nothing to track
            if device.source_type == "volume":
                self._attach(session, server, device.uuid or "", device.device_name,
                             device.delete_on_termination)
                continue
            volume = self._new_volume_row(
                session, device.volume_size_gb or 1, name="", availability_zone=server.availability_zone,
                snapshot_id=device.uuid if device.source_type == "snapshot" else None,
                image_id=device.uuid if device.source_type == "image" else None, volume_type=None,
            )
            volume.status = "available"  # Nova waits for it before attaching
            self._attach(session, server, volume.id, device.device_name, device.delete_on_termination)

    def _attach(self, session: Session, server: m.SimServer, volume_id: str, device: str | None,
                delete_on_termination: bool) -> VolumeAttachment:
        volume = self._volume_row(session, volume_id)
        status = self._volume_status(volume)
        if status != "available":
            raise msg.volume_not_available_for_attach(volume.id, status)
        taken = set(session.scalars(
            select(m.SimVolumeAttachment.device).where(m.SimVolumeAttachment.server_id == server.id)
        ))
        device = device or next(f"/dev/vd{letter}" for letter in "bcdefghijklmnopqrstuvwxyz"
                                if f"/dev/vd{letter}" not in taken)
        volume.status = VOLUME_IN_USE
        session.add(m.SimVolumeAttachment(volume_id=volume.id, server_id=server.id, device=device,
                                          delete_on_termination=delete_on_termination))
        session.flush()
        return VolumeAttachment(volume.id, server.id, device)

    def _server_status(self, row: m.SimServer) -> str:
        return observed_server_status(row, self.config.behaviour, self.clock())

    def _server_view(self, session: Session, row: m.SimServer) -> Server:
        addresses = []
        networks = {n.id: n.name for n in session.scalars(select(m.SimNetwork))}
        ports = session.scalars(select(m.SimPort).where(m.SimPort.device_id == row.id).order_by(m.SimPort.id)).all()
        for port in ports:
            for fixed in self._port_fixed_ips(session, port.id):
                addresses.append(ServerAddress(networks.get(port.network_id, ""), fixed.ip_address or "",
                                               "fixed", port.mac_address))
                floating = session.scalar(select(m.SimFloatingIp.address).where(
                    m.SimFloatingIp.port_id == port.id, m.SimFloatingIp.fixed_ip == fixed.ip_address))
                if floating:
                    addresses.append(ServerAddress(networks.get(port.network_id, ""), floating, "floating",
                                                   port.mac_address))
        volume_ids = session.scalars(
            select(m.SimVolumeAttachment.volume_id).where(m.SimVolumeAttachment.server_id == row.id)
            .order_by(m.SimVolumeAttachment.device)
        ).all()
        status = self._server_status(row)
        return Server(
            id=row.id, name=row.name, status=status, flavor_id=row.flavor_id, image_id=row.image_id,
            key_name=row.key_name, availability_zone=row.availability_zone, addresses=tuple(addresses),
            security_groups=tuple(row.security_groups), metadata=dict(row.server_metadata or {}),
            volume_ids=tuple(volume_ids), created_at=row.created_at,
            fault=row.fault if status == SERVER_ERROR else None,
        )


def _flavor_view(row: m.SimFlavor) -> Flavor:
    return Flavor(row.id, row.name, row.vcpus, row.ram_mb, row.disk_gb)


def _image_view(row: m.SimImage) -> Image:
    return Image(row.id, row.name, row.status, row.min_disk_gb, row.min_ram_mb)


def _keypair_view(row: m.SimKeyPair) -> KeyPair:
    return KeyPair(row.name, row.fingerprint, row.public_key,
                   created_at=as_utc(row.created_at) if row.created_at else None)
