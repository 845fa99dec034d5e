"""The ``openstack`` integration suite: cfnapi against real OpenStack services.

Needs the box from ``scripts/openstack-box/up`` and ``CFNAPI_OPENSTACK_CLOUDS``
pointing at the clouds.yaml it wrote; every test here is skipped otherwise.
"""

from __future__ import annotations

import pytest

from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server

from .box import CLOUDS_ENV, Inventory, clouds_file, connect

def pytest_collection_modifyitems(config, items):
    # Every test in this directory carries the `openstack` marker (`-m openstack` selects the suite).
    for item in items:
        if "tests/openstack/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.openstack)


@pytest.fixture(scope="session")
def clouds_yaml():
    path = clouds_file()
    if path is None:
        pytest.skip(f"no OpenStack box: set {CLOUDS_ENV} to the clouds.yaml scripts/openstack-box/up wrote")
    if not path.is_file():
        pytest.skip(f"no OpenStack box: {CLOUDS_ENV}={path} does not exist (run scripts/openstack-box/up)")
    try:
        connect(path, "box-admin").authorize()
    except Exception as exc:  # any failure here means no box to test against
        pytest.skip(f"no OpenStack box: Keystone from {path} does not answer ({exc.__class__.__name__}: {exc})")
    return path


@pytest.fixture(scope="session")
def admin(clouds_yaml):
    return connect(clouds_yaml, "box-admin")


@pytest.fixture(scope="session")
def project_conn(clouds_yaml):
    """The ``cfnapi`` project, where stacks made with cfnapi's own credentials land."""
    return connect(clouds_yaml, "box")


def serve_on_box(tmp_path_factory, clouds_yaml, cloud: str, name: str, extra_args=()):
    return start_server(
        tmp_path_factory.mktemp(name),
        extra_args=["--cloud", "openstack", "--cloud-name", cloud, *extra_args],
        env={"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)},
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory, clouds_yaml):
    running = serve_on_box(tmp_path_factory, clouds_yaml, "box", "cfnapi-box",
                           extra_args=["--keystone-auth-cloud", "box-service"])
    yield running
    running.stop()


@pytest.fixture
def cfn(server):
    return client("cloudformation", server.endpoint)


@pytest.fixture
def leaves_nothing(project_conn):
    """Asserts, after the test, that the project holds exactly what it held before."""
    before = Inventory.of(project_conn)
    yield
    after = Inventory.of(project_conn)
    assert after.minus(before) == set(), "the stacks left these behind"
