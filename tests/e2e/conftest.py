import pytest

from cfnapi.testing.server import start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("cfnapi-e2e"))
    yield running
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)
