"""Bad requests get AWS-shaped errors with AWS's status codes, and the server keeps serving."""

import datetime as dt
import gzip
import math
import urllib.error
import urllib.request
from unittest import mock
from xml.etree import ElementTree

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS, client
from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY

pytestmark = pytest.mark.e2e
NS = "{http://cloudformation.amazonaws.com/doc/2010-05-15/}"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def send(server, body: bytes, headers: dict[str, str], method="POST", path="/"):
    request = urllib.request.Request(server.endpoint + path, data=body, method=method, headers=headers)
    try:
        with _DIRECT.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def signed(server, body: bytes, *, secret=TEST_SECRET_KEY, key=TEST_ACCESS_KEY, when=None, service="cloudformation",
           headers=None):
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **(headers or {})})
    signer = SigV4Auth(Credentials(key, secret), service, "us-east-1")
    if when is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
            signer.add_auth(request)
    return send(server, body, dict(request.headers.items()))


def error_code(body: bytes) -> str:
    root = ElementTree.fromstring(body)
    assert root.tag == f"{NS}ErrorResponse"
    return root.find(f"{NS}Error/{NS}Code").text


LIST = b"Action=ListStacks&Version=2010-05-15"


def test_missing_authentication(server):
    status, body = send(server, LIST, {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, error_code(body)) == (403, "MissingAuthenticationToken")


def test_wrong_secret(server):
    status, body = signed(server, LIST, secret="x" * 40)
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch")


def test_unknown_access_key(server):
    status, body = signed(server, LIST, key="AKIAUNKNOWNUNKNOWN00")
    assert (status, error_code(body)) == (403, "InvalidClientTokenId")


def test_expired_request(server):
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    status, body = signed(server, LIST, when=long_ago)
    assert (status, error_code(body)) == (400, "RequestExpired")  # AWS common errors: 400


def test_unknown_action(server):
    status, body = signed(server, b"Action=LaunchRockets&Version=2010-05-15")
    assert (status, error_code(body)) == (400, "InvalidAction")


def test_missing_required_member(server):
    status, body = signed(server, b"Action=DescribeStackResource&Version=2010-05-15&StackName=x")
    assert status == 400
    assert error_code(body) == "ValidationError"
    assert b"logicalResourceId" in body


def test_oversize_body(server):
    status, body = signed(server, b"Action=ValidateTemplate&TemplateBody=" + b"x" * (3 * 1024 * 1024))
    assert status == 413
    assert error_code(body) == "RequestEntityTooLarge"


def test_malformed_json_body(server):
    status, body = signed(server, b"{not json", service="monitoring", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
    })
    assert status == 400
    assert b"SerializationException" in body or b"ValidationError" in body


def test_gzip_bomb_refused(server):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    status, _ = signed(server, bomb, service="monitoring", headers={
        "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
        "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
    })
    assert status == 413


def test_server_keeps_serving_after_bad_requests(server):
    for _ in range(3):
        send(server, b"\xff\xfe garbage", {"Content-Type": "application/x-www-form-urlencoded"})
        send(server, b"", {}, method="GET", path="/?Action=")
    cfn = client("cloudformation", server.endpoint)
    assert cfn.validate_template(TemplateBody='{"Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}')



def test_model_constraints_are_checked_by_the_server(server):
    """A client that does not validate (boto3 with validation off) gets AWS's ValidationError."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    cfn = boto3.client(
        "cloudformation", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=TEST_ACCESS_KEY, aws_secret_access_key=TEST_SECRET_KEY,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as caught:
        cfn.create_change_set(StackName="s", ChangeSetName="1st", TemplateBody="x")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '1st' at 'changeSetName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
    )


def _cloudwatch(server, protocol: str, **config):
    """A boto3 CloudWatch client speaking ``protocol`` whose sent bodies are recorded."""
    import boto3
    import botocore.session
    from botocore.config import Config

    from cfnapi.testing.clients import protocol_data_path

    session = botocore.session.get_session()
    session.set_config_variable("data_path", protocol_data_path(protocol))
    cw = boto3.Session(botocore_session=session).client(
        "cloudwatch", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=TEST_ACCESS_KEY, aws_secret_access_key=TEST_SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, **config))
    sent: list[tuple[dict, bytes]] = []

    def record(request, **_):
        body = request.body or b""
        sent.append(({k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()},
                     body.encode() if isinstance(body, str) else bytes(body)))
    cw.meta.events.register("before-send", record)
    return cw, sent


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_gzip_encoded_put_metric_data_is_accepted_and_read_back(server, protocol):
    # botocore gzips PutMetricData (the model's requestcompression trait) once the body
    # reaches the configured size: 1 byte makes it compress every request.
    cw, sent = _cloudwatch(server, protocol, request_min_compression_size_bytes=1)
    namespace = f"Gzip/{protocol}"
    minute = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(minutes=3)
    cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Jobs", "Values": [1.0, 2.0, 4.0], "Timestamp": minute + dt.timedelta(seconds=1)}])
    headers, body = sent[-1]
    assert headers.get("content-encoding") == "gzip" and gzip.decompress(body)
    [point] = cw.get_metric_statistics(Namespace=namespace, MetricName="Jobs", StartTime=minute,
                                       EndTime=minute + dt.timedelta(minutes=1), Period=60,
                                       Statistics=["Sum", "SampleCount"])["Datapoints"]
    assert (point["Sum"], point["SampleCount"]) == (7.0, 3.0)


ONE_MB = 1024 * 1024


def _metrics(count: int) -> list[dict]:
    # ~1.3 KB each, so fewer than PutMetricData's 1,000 metrics fill a megabyte.
    return [{"MetricName": f"m{i:04d}" + "n" * 200, "Value": 1.0,
             "Dimensions": [{"Name": "Pad", "Value": "v" * 1000}]} for i in range(count)]


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_cloudwatch_body_just_over_one_megabyte_is_refused(server, protocol):
    from botocore.exceptions import ClientError

    cw, sent = _cloudwatch(server, protocol, disable_request_compression=True)
    namespace = f"Big/{protocol}"
    # Two accepted requests measure the body's size per metric, in this protocol.
    sizes = {}
    for count in (100, 200):
        cw.put_metric_data(Namespace=namespace, MetricData=_metrics(count))
        sizes[count] = len(sent[-1][1])
    per_metric = (sizes[200] - sizes[100]) / 100
    count = math.ceil((ONE_MB + 1 - (sizes[100] - 100 * per_metric)) / per_metric)
    assert count <= 1000
    with pytest.raises(ClientError) as caught:
        cw.put_metric_data(Namespace=namespace, MetricData=_metrics(count))
    size = len(sent[-1][1])
    assert ONE_MB < size <= ONE_MB + per_metric + 1  # just over the limit
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Code"] == "RequestEntityTooLarge"
    # Nothing of it was stored: only the two measuring requests' metrics exist.
    listed = cw.list_metrics(Namespace=namespace)["Metrics"]
    assert len(listed) == 200
