"""Cinder's shipped fake volume driver, able to create a volume from an image
and to hand a volume to cinder-backup.

The fake driver would convert the image with qemu-img onto an LVM device; the
box has neither, so cloning reports success without copying any bytes.

cinder-backup reads a volume through os-brick; the fake driver's iSCSI
connection leads nowhere. Here each volume a connection is asked for is a
sparse file of the volume's size under ``state_path/volumes``, handed out as
an os-brick ``local`` connection (a path the backup service opens and reads).
Nova's fake virt driver ignores the connection type, so attachments work as
before.
"""

import os

from cinder.tests.fake_driver import FakeLoggingVolumeDriver
from oslo_config import cfg

GIB = 1024 ** 3


class ImageCloningFakeDriver(FakeLoggingVolumeDriver):
    def clone_image(self, context, volume, image_location, image_meta, image_service):
        return {"provider_location": None}, True

    def validate_connector(self, connector):
        pass  # a local file needs nothing from the host (the fake driver insists on an iSCSI initiator)

    def initialize_connection(self, volume, connector):
        path = _volume_file(volume)
        if not os.path.exists(path):  # made lazily: volume-from-image and clones never called create_volume
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as sparse:
                sparse.truncate(volume.size * GIB)
        return {"driver_volume_type": "local", "data": {"device_path": path, "access_mode": "rw"}}

    def delete_volume(self, volume):
        super().delete_volume(volume)
        try:
            os.remove(_volume_file(volume))
        except FileNotFoundError:
            pass


def _volume_file(volume) -> str:
    return os.path.join(cfg.CONF.state_path, "volumes", volume.id)
