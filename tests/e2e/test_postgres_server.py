"""The same server on PostgreSQL: migrations at start, credentials and metrics persisted."""

from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.testing.clients import client
from cfnapi.testing.postgres import scratch_schema_url
from cfnapi.testing.server import start_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory):
    try:
        context = scratch_schema_url()
        url = context.__enter__()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    data_dir = tmp_path_factory.mktemp("cfnapi-pg")
    server = start_server(data_dir, extra_args=["--database-url", url])
    try:
        yield server, url
    finally:
        server.stop()
        context.__exit__(None, None, None)


def test_serves_and_keeps_data_across_restart(postgres_server):
    server, url = postgres_server
    cw = client("cloudwatch", server.endpoint)
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    cw.put_metric_data(Namespace="PG", MetricData=[{"MetricName": "M", "Value": 5.0, "Timestamp": now - timedelta(minutes=1)}])
    assert not (server.data_dir / "cfnapi.sqlite").exists()  # nothing went to the embedded default

    server.stop()
    restarted = start_server(server.data_dir, port=server.port, extra_args=["--database-url", url])
    try:
        cw = client("cloudwatch", restarted.endpoint)
        stats = cw.get_metric_statistics(Namespace="PG", MetricName="M", StartTime=now - timedelta(minutes=5),
                                         EndTime=now, Period=60, Statistics=["Sum"])
        assert [p["Sum"] for p in stats["Datapoints"]] == [5.0]
    finally:
        restarted.stop()
