"""First start writes an admin credential file; `cfnapi credentials` manages more."""

import configparser
import json
import stat
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server

pytestmark = pytest.mark.e2e


def test_generated_admin_credentials_file_and_cli(tmp_path):
    # The CLI is another process: the server would trust a key it has cached for
    # up to CFNAPI_CREDENTIAL_CACHE_SECONDS (30 s by default, as documented);
    # with 0 a deletion must take effect on the very next request.
    server = start_server(tmp_path / "data", admin_from_env=False, env={"CFNAPI_CREDENTIAL_CACHE_SECONDS": "0"})
    try:
        path = server.data_dir / "credentials"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        profile = configparser.ConfigParser()
        profile.read(path)
        admin_key = profile["default"]["aws_access_key_id"]
        admin_secret = profile["default"]["aws_secret_access_key"]
        cw = client("cloudwatch", server.endpoint, access_key=admin_key, secret_key=admin_secret)
        cw.put_metric_data(Namespace="Admin", MetricData=[{"MetricName": "M", "Value": 1.0}])

        created = subprocess.run(
            [sys.executable, "-m", "cfnapi", "credentials", "create", "--data-dir", str(server.data_dir)],
            capture_output=True, text=True, check=True)
        other = json.loads(created.stdout)
        other_cw = client("cloudwatch", server.endpoint, access_key=other["AccessKeyId"],
                          secret_key=other["SecretAccessKey"])
        # A new account sees none of the admin account's metrics.
        assert other_cw.list_metrics(Namespace="Admin")["Metrics"] == []
        assert [m["MetricName"] for m in cw.list_metrics(Namespace="Admin")["Metrics"]] == ["M"]

        listed = subprocess.run([sys.executable, "-m", "cfnapi", "credentials", "list", "--data-dir", str(server.data_dir)],
                                capture_output=True, text=True, check=True).stdout
        assert admin_key in listed and other["AccessKeyId"] in listed and other["SecretAccessKey"] not in listed

        subprocess.run([sys.executable, "-m", "cfnapi", "credentials", "delete", other["AccessKeyId"],
                        "--data-dir", str(server.data_dir)], check=True)
        with pytest.raises(ClientError) as caught:
            other_cw.list_metrics()
        assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        server.stop()
