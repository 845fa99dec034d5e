"""One cfnapi server on the agents' fixed ports (8000, 8003) and this machine
dressed as one instance, shared by the module's tests (see cfnapi.testing.agents)."""

import pytest

from cfnapi.testing.agents import AGENT_PORTS, AgentHost, AgentHostUnavailable
from cfnapi.testing.server import start_server


@pytest.fixture(scope="package")
def agent_host(tmp_path_factory):
    host = AgentHost(tmp_path_factory.mktemp("agent-host"))
    try:
        host.__enter__()
    except AgentHostUnavailable as reason:
        pytest.skip(f"cannot run the heat-cfntools agents here: {reason}")
    try:
        host.write_boto_config("127.0.0.1")
        yield host
    finally:
        host.__exit__(None, None, None)


@pytest.fixture(scope="package")
def agent_server(agent_host, tmp_path_factory):
    # The main port is a free one; the agents reach the same API on their fixed ports. Alarms and
    # scaling groups are visited often so that a 10-second alarm and its scaling show within seconds.
    try:
        running = start_server(tmp_path_factory.mktemp("cfnapi-agents"),
                               extra_args=["--agent-ports", ",".join(str(p) for p in AGENT_PORTS)],
                               env={"CFNAPI_ALARM_INTERVAL": "1", "CFNAPI_SCALING_INTERVAL": "0.5"})
    except RuntimeError as failure:
        if "Address already in use" in str(failure):  # taken between our check and the server's bind
            pytest.skip(f"the agents' fixed ports {AGENT_PORTS} were taken: {failure}")
        raise
    yield running
    running.stop()
    assert "Traceback" not in running.log_tail(2000), running.log_tail(200)
