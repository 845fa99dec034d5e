"""boto3 against the real server: CloudFormation, and CloudWatch in every protocol."""

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS, client

pytestmark = pytest.mark.e2e

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: a handle and a parameter
Parameters:
  Size:
    Type: Number
    Default: 3
    Description: how many
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  HandleUrl:
    Value: !Ref Handle
"""


def test_validate_template(server):
    cfn = client("cloudformation", server.endpoint)
    result = cfn.validate_template(TemplateBody=TEMPLATE)
    assert result["Description"] == "a handle and a parameter"
    assert result["Parameters"] == [
        {"ParameterKey": "Size", "DefaultValue": "3", "NoEcho": False, "Description": "how many"}
    ]
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert result["ResponseMetadata"]["RequestId"]


def test_validate_template_error_is_aws_shaped(server):
    cfn = client("cloudformation", server.endpoint)
    with pytest.raises(ClientError) as caught:
        cfn.validate_template(TemplateBody="Resources: {X: {Type: AWS::Foo::Bar}}")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "AWS::Foo::Bar" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_put_and_get_statistics(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    assert cw.meta.service_model.resolved_protocol == protocol
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    namespace = f"E2E/{protocol}"
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Load", "Dimensions": [{"Name": "Host", "Value": "a"}],
             "Timestamp": now - timedelta(minutes=1), "Values": [10.0, 20.0, 30.0], "Unit": "Percent"},
        ],
    )
    stats = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Load", Dimensions=[{"Name": "Host", "Value": "a"}],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1), Period=60,
        Statistics=["Average", "Maximum", "SampleCount"],
    )
    [point] = stats["Datapoints"]
    assert point["Average"] == pytest.approx(20.0)
    assert point["Maximum"] == 30.0
    assert point["SampleCount"] == 3.0
    assert point["Unit"] == "Percent"
    metrics = cw.list_metrics(Namespace=namespace)["Metrics"]
    assert metrics == [{"Namespace": namespace, "MetricName": "Load", "Dimensions": [{"Name": "Host", "Value": "a"}]}]


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_errors_in_every_protocol(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    with pytest.raises(ClientError) as caught:
        cw.get_metric_statistics(
            Namespace="E2E", MetricName="Load", StartTime=datetime(2026, 1, 2, tzinfo=timezone.utc),
            EndTime=datetime(2026, 1, 1, tzinfo=timezone.utc), Period=60, Statistics=["Average"],
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_rejects_wrong_secret(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol, secret_key="wrong" * 8)
    with pytest.raises(ClientError) as caught:
        cw.list_metrics()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
