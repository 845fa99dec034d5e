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
