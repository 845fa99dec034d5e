"""The sim cloud shared by several workers on PostgreSQL: concurrent creates get distinct addresses."""

import threading

import pytest

from cfnapi.cloud.provider import ServerRequest
from cfnapi.cloud.sim import SimCloud, load_config, seed
from cfnapi.db import Database
from cfnapi.db.schema import migrate

from .conftest import CIRROS, PROJECT

pytestmark = pytest.mark.postgres


def test_concurrent_server_creates_never_share_an_address(postgres_url):
    db = Database(postgres_url)
    try:
        migrate(db)
        config = load_config()
        seed(db, config)
        barrier = threading.Barrier(6)
        created, errors = [], []

        def boot(number: int) -> None:
            cloud = SimCloud(db, PROJECT, config)  # one per thread, as each worker process has its own
            barrier.wait()
            try:
                created.append(cloud.create_server(ServerRequest(name=f"s{number}", image_id=CIRROS, flavor_id="1")))
            except Exception as error:  # noqa: BLE001 - collected and shown below
                errors.append(error)

        threads = [threading.Thread(target=boot, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        addresses = [address.ip_address for server in created for address in server.addresses]
        assert len(addresses) == 6 and len(set(addresses)) == 6
    finally:
        db.dispose()


def test_concurrent_creates_cannot_overrun_a_quota(postgres_url):
    """Count-then-insert from several workers at once: without a lock each counts the
    others' rows as absent and all pass. Repeated, since a race may miss once."""
    db = Database(postgres_url)
    try:
        migrate(db)
        config = load_config()
        seed(db, config)
        SimCloud(db, PROJECT, config).set_quota("volumes", 2)
        for round_number in range(3):
            barrier = threading.Barrier(8)
            created, refused = [], []

            def make(number: int) -> None:
                cloud = SimCloud(db, PROJECT, config)
                barrier.wait()
                try:
                    created.append(cloud.create_volume(1, name=f"r{round_number}-v{number}"))
                except Exception as error:  # noqa: BLE001 - collected and shown below
                    refused.append(error)

            threads = [threading.Thread(target=make, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(created) == 2, [str(e) for e in refused]
            assert {str(e) for e in refused} == {"Maximum number of volumes allowed (2) exceeded for quota 'volumes'."}
            cloud = SimCloud(db, PROJECT, config)
            for volume in created:
                cloud.force_volume_status(volume.id, "available")
                cloud.delete_volume(volume.id)
    finally:
        db.dispose()
