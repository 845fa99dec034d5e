"""The AWS CLI and boto 2.49 (what heat-cfntools uses) against the real server."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY, client_environment

pytestmark = pytest.mark.e2e
AWS = str(Path(sys.executable).with_name("aws"))


def aws(server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([AWS, "--endpoint-url", server.endpoint, "--output", "json", *args],
                          capture_output=True, text=True, env=client_environment(), timeout=120)


def test_cli_validate_template(server, tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("Description: from the CLI\nResources:\n  H:\n    Type: AWS::CloudFormation::WaitConditionHandle\n")
    result = aws(server, "cloudformation", "validate-template", "--template-body", f"file://{template}")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Description"] == "from the CLI"


def test_cli_cloudwatch_round_trip(server):
    put = aws(server, "cloudwatch", "put-metric-data", "--namespace", "CLI", "--metric-name", "Hits",
              "--value", "7", "--unit", "Count")
    assert put.returncode == 0, put.stderr
    listed = aws(server, "cloudwatch", "list-metrics", "--namespace", "CLI")
    assert listed.returncode == 0, listed.stderr
    assert [m["MetricName"] for m in json.loads(listed.stdout)["Metrics"]] == ["Hits"]


def test_cli_error_exit_code(server):
    result = aws(server, "cloudformation", "validate-template", "--template-body", "Resources: [")
    assert result.returncode == 255  # AWS CLI v1: a service error exits 255
    assert "ValidationError" in result.stderr


BOTO2 = r"""
import json, sys
import boto
from boto.cloudformation.connection import CloudFormationConnection
from boto.ec2.cloudwatch import CloudWatchConnection
from boto.regioninfo import RegionInfo
port = int(sys.argv[1])
common = dict(aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], is_secure=False, port=port)
cfn = CloudFormationConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1/", **common)
result = cfn.validate_template(template_body=json.dumps(
    {"Description": "boto2", "Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}))
cw = CloudWatchConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1", **common)
cw.put_metric_data("Boto2", "CPUUtilization", value=42.0, unit="Percent", dimensions={"AlarmName": "x"})
metrics = cw.list_metrics(namespace="Boto2")
print(json.dumps({"description": result.description, "metrics": [m.name for m in metrics]}))
"""


def test_boto2_query_protocol_with_host_derived_scope(server):
    result = subprocess.run([sys.executable, "-c", BOTO2, str(server.port), TEST_ACCESS_KEY, TEST_SECRET_KEY],
                            capture_output=True, text=True, env=client_environment(), timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"description": "boto2", "metrics": ["CPUUtilization"]}


def test_boto2_json_content_type_error(server):
    # boto 2's CloudFormationConnection asks for ContentType=JSON and parses JSON errors too.
    script = BOTO2.split("result =")[0] + (
        "try:\n    cfn.describe_stacks('nope')\nexcept boto.exception.BotoServerError as e:\n"
        "    print(json.dumps({'status': e.status, 'code': e.error_code}))\n")
    result = subprocess.run([sys.executable, "-c", script, str(server.port), TEST_ACCESS_KEY, TEST_SECRET_KEY],
                            capture_output=True, text=True, env=client_environment(), timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": 400, "code": "ValidationError"}
