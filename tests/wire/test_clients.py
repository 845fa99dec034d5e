"""Real botocore and boto 2 clients against our protocols, in-process.

botocore's client runs its whole pipeline (validation, serializer, signer,
parser, error factory); a ``before-send`` hook hands the prepared request to
our protocol code instead of the network. boto 2 gets our bytes through a
stand-in for its HTTP response. CloudWatch is driven once per protocol by
giving the client a copy of the model that lists only that protocol.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import boto.cloudformation.connection
import boto.ec2.cloudwatch
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from cfnapi.errors import ServiceError
from cfnapi.query_api.protocols import WireRequest, detect_protocol, protocol_for, wants_json

from .oracle import BOTOCORE_PROTOCOL, service_model, wire_from_prepared


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


class FakeServer:
    """Our protocol layer with canned handler results, as the WSGI app would drive it."""

    def __init__(self, service: str, results: dict, error: ServiceError | None = None):
        self.model = service_model(service)
        self.results = results
        self.error = error
        self.calls: list[tuple[str, str, dict]] = []

    def handle(self, request, **_):
        wire = wire_from_prepared(request)
        protocol = protocol_for(detect_protocol(wire))
        try:
            operation = protocol.operation_name(wire)
            operation_model = self.model.operation_model(operation)
            params = protocol.parse(operation_model, wire)
            self.calls.append((protocol.name, operation, params))
            if self.error is not None:
                raise self.error
            response = protocol.serialize(operation_model, self.results.get(operation, {}), "rid-1")
        except ServiceError as error:
            response = protocol.serialize_error(self.model, error, "rid-1")
        return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))


def _client(service: str, server: FakeServer, protocol: str | None = None, *, validate: bool = True):
    session = botocore.session.get_session()
    if protocol is not None:
        loader = session.get_component("data_loader")
        original = loader.load_service_model

        def only_one_protocol(name, type_name, api_version=None):
            data = original(name, type_name, api_version)
            if name == service and type_name == "service-2":
                data = copy.deepcopy(data)
                data["metadata"]["protocols"] = [BOTOCORE_PROTOCOL[protocol]]
                data["metadata"]["protocol"] = BOTOCORE_PROTOCOL[protocol]
            return data

        loader.load_service_model = only_one_protocol
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )
    client.meta.events.register("before-send", server.handle)
    return client


WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.mark.parametrize("protocol", ["query", "json", "cbor"])
def test_cloudwatch_client_in_each_protocol(protocol):
    alarm = {
        "AlarmName": "cpu-high",
        "ActionsEnabled": True,
        "StateValue": "ALARM",
        "StateUpdatedTimestamp": WHEN,
        "Threshold": 80.5,
        "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "web"}],
    }
    server = FakeServer("cloudwatch", {"DescribeAlarms": {"MetricAlarms": [alarm]}})
    client = _client("cloudwatch", server, protocol)
    assert client.meta.service_model.resolved_protocol == BOTOCORE_PROTOCOL[protocol]

    client.put_metric_data(
        Namespace="system/linux",
        MetricData=[{"MetricName": "MemoryUtilization", "Value": 42.0, "Unit": "Percent", "Timestamp": WHEN}],
    )
    described = client.describe_alarms(AlarmNames=["cpu-high"])

    assert server.calls[0] == (
        protocol,
        "PutMetricData",
        {
            "Namespace": "system/linux",
            "MetricData": [{"MetricName": "MemoryUtilization", "Value": 42.0, "Unit": "Percent", "Timestamp": WHEN}],
        },
    )
    assert described["MetricAlarms"] == [alarm]


@pytest.mark.parametrize("protocol", ["query", "json", "cbor"])
def test_cloudwatch_client_raises_the_modelled_exception(protocol):
    server = FakeServer("cloudwatch", {}, ServiceError("ResourceNotFound", "No such dashboard", 404))
    client = _client("cloudwatch", server, protocol)
    with pytest.raises(client.exceptions.ResourceNotFound) as raised:
        client.get_dashboard(DashboardName="nope")
    error = raised.value.response
    assert error["Error"]["Code"] == "ResourceNotFound"
    assert error["Error"]["Message"] == "No such dashboard"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize("protocol", ["json", "cbor"])
def test_cloudwatch_missing_parameter_error_through_the_client(protocol):
    # botocore validates required members itself; switch that off to reach the server.
    server = FakeServer("cloudwatch", {})
    client = _client("cloudwatch", server, protocol, validate=False)
    with pytest.raises(client.exceptions.MissingRequiredParameterException) as raised:
        client.put_metric_data(MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert raised.value.response["Error"] == {
        "Code": "MissingParameter",
        "Message": "The parameter Namespace is required.",
        "QueryErrorCode": "MissingRequiredParameterException",
        "Type": "Sender",
    }


def test_cloudformation_client_round_trip_and_validation_error():
    stack = {
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1",
        "StackName": "web",
        "CreationTime": WHEN,
        "StackStatus": "CREATE_COMPLETE",
        "DisableRollback": False,
        "Parameters": [{"ParameterKey": "KeyName", "ParameterValue": "default"}],
        "Outputs": [{"OutputKey": "URL", "OutputValue": "http://10.0.0.5/"}],
        "Capabilities": [],
    }
    server = FakeServer("cloudformation", {"DescribeStacks": {"Stacks": [stack]}})
    client = _client("cloudformation", server)
    assert client.describe_stacks(StackName="web")["Stacks"] == [stack]

    failing = FakeServer("cloudformation", {}, ServiceError("ValidationError", "Stack with id web does not exist"))
    client = _client("cloudformation", failing)
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.describe_stacks(StackName="web")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert raised.value.response["Error"]["Message"] == "Stack with id web does not exist"


class _Boto2Response:
    def __init__(self, status: int, body: bytes):
        self.status = status
        self.reason = "OK" if status == 200 else "Bad Request"
        self._body = body

    def read(self):
        return self._body

    def getheader(self, name, default=None):
        return default


def _boto2_server(operation_name: str, result: dict | None, error: ServiceError | None = None):
    """A make_request stand-in: boto 2's params through our query parser and serializer."""
    model = service_model("cloudformation")
    seen: list[dict] = []

    def make_request(action, params=None, path="/", verb="GET", **_):
        wire_query = {"Action": [action], **{k: [str(v)] for k, v in (params or {}).items()}}
        wire = WireRequest(method=verb, path=path, query=wire_query, headers={}, body=b"")
        protocol = protocol_for(detect_protocol(wire))
        operation_model = model.operation_model(protocol.operation_name(wire))
        seen.append(protocol.parse(operation_model, wire))
        as_json = wants_json(wire)
        if error is not None:
            response = protocol.serialize_error(model, error, "rid-2", json_body=as_json)
        else:
            response = protocol.serialize(operation_model, result, "rid-2", json_body=as_json)
        return _Boto2Response(response.status, response.body)

    return make_request, seen


def _boto2_connection(make_request):
    connection = boto.cloudformation.connection.CloudFormationConnection(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret"
    )
    connection.make_request = make_request
    return connection


def test_boto2_describe_stack_resource_json_as_heat_cfntools_reads_it():
    metadata = {"AWS::CloudFormation::Init": {"config": {"files": {"/tmp/foo": {"content": "bar"}}}}}
    detail = {
        "StackName": "teststack",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/teststack/1",
        "LogicalResourceId": "WebServer",
        "PhysicalResourceId": "4b5a1f5e-0000-4000-8000-000000000001",
        "ResourceType": "AWS::EC2::Instance",
        "LastUpdatedTimestamp": WHEN,
        "ResourceStatus": "CREATE_COMPLETE",
        "Metadata": json.dumps(metadata),
    }
    make_request, seen = _boto2_server("DescribeStackResource", {"StackResourceDetail": detail})
    body = _boto2_connection(make_request).describe_stack_resource("teststack", "WebServer")

    assert seen == [{"StackName": "teststack", "LogicalResourceId": "WebServer"}]
    # heat-cfntools' cfn_helper.Metadata.remote_metadata reads exactly this path.
    resource_detail = body["DescribeStackResourceResponse"]["DescribeStackResourceResult"]["StackResourceDetail"]
    assert json.loads(resource_detail["Metadata"]) == metadata
    assert resource_detail["LogicalResourceId"] == "WebServer"
    assert resource_detail["LastUpdatedTimestamp"] == WHEN.timestamp()  # epoch seconds, as AWS sent them
    assert body["DescribeStackResourceResponse"]["ResponseMetadata"] == {"RequestId": "rid-2"}


def test_boto2_json_lists_are_arrays():
    summaries = [{"LogicalResourceId": f"R{i}", "ResourceType": "AWS::EC2::Instance", "ResourceStatus": "CREATE_COMPLETE", "LastUpdatedTimestamp": WHEN} for i in (1, 2)]
    make_request, _ = _boto2_server("DescribeStackResources", {"StackResources": summaries})
    connection = _boto2_connection(make_request)
    body = connection._do_request("DescribeStackResources", {"ContentType": "JSON", "StackName": "s"}, "/", "GET")
    resources = body["DescribeStackResourcesResponse"]["DescribeStackResourcesResult"]["StackResources"]
    assert [r["LogicalResourceId"] for r in resources] == ["R1", "R2"]


def test_boto2_json_error_is_read_by_boto_server_error():
    error = ServiceError("ValidationError", "Stack with id teststack does not exist")
    make_request, _ = _boto2_server("DescribeStackResource", None, error)
    connection = _boto2_connection(make_request)
    with pytest.raises(connection.ResponseError) as raised:
        connection.describe_stack_resource("teststack", "WebServer")
    assert raised.value.status == 400
    assert raised.value.error_code == "ValidationError"
    assert raised.value.message == "Stack with id teststack does not exist"


def test_boto2_describe_stacks_reads_our_xml():
    stack = {
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1",
        "StackName": "web",
        "CreationTime": WHEN,
        "StackStatus": "CREATE_COMPLETE",
        "DisableRollback": True,
        "Outputs": [{"OutputKey": "URL", "OutputValue": "http://10.0.0.5/"}],
    }
    make_request, _ = _boto2_server("DescribeStacks", {"Stacks": [stack]})
    (described,) = _boto2_connection(make_request).describe_stacks("web")
    assert described.stack_name == "web"
    assert described.stack_status == "CREATE_COMPLETE"
    assert described.disable_rollback is True
    assert described.creation_time == datetime(2024, 5, 6, 7, 8, 9)
    assert [(o.key, o.value) for o in described.outputs] == [("URL", "http://10.0.0.5/")]


def test_boto2_cloudwatch_put_metric_data_as_cfn_push_stats_sends_it():
    """cfn-push-stats: boto 2's CloudWatchConnection builds the form itself."""
    captured: list[dict] = []
    connection = boto.ec2.cloudwatch.CloudWatchConnection(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    connection.get_status = lambda action, params, verb="POST": captured.append({"Action": action, **params}) or True
    connection.put_metric_data(
        "system/linux", "MemoryUtilization", value=42.5, unit="Percent",
        dimensions={"AutoScalingGroupName": "web"}, timestamp=datetime(2024, 5, 6, 7, 8, 9),
    )
    wire = WireRequest("POST", "/", {k: [str(v)] for k, v in captured[0].items()}, {}, b"")
    operation_model = service_model("cloudwatch").operation_model(protocol_for("query").operation_name(wire))
    assert protocol_for("query").parse(operation_model, wire) == {
        "Namespace": "system/linux",
        "MetricData": [
            {
                "MetricName": "MemoryUtilization",
                "Value": 42.5,
                "Unit": "Percent",
                "Timestamp": WHEN,
                "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "web"}],
            }
        ],
    }
