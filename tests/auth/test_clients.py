"""Requests exactly as real clients put them on the wire: boto3 and boto 2.

Each client is driven through its public API; the request is caught just
before it would reach the socket and handed to the verifier.
"""

from __future__ import annotations

import functools

import boto3
import pytest
from boto.ec2.cloudwatch import CloudWatchConnection
from boto.regioninfo import RegionInfo

from cfnapi.auth import SIGV4, SIGV4_PRESIGNED, verify_request
from cfnapi.errors import ServiceError

from .signing import ACCESS_KEY, ACCOUNT, HOST, PORT, SECRET, default_lookup, wire_request


class Captured(Exception):
    def __init__(self, signed):
        super().__init__("request captured")
        self.signed = signed


def boto3_client(service: str, secret: str = SECRET):
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret, region_name="RegionOne"
    )
    client = session.client(service, endpoint_url=f"http://{HOST}/v1/")

    def capture(request, **_):
        raise Captured(wire_request(request.method, request.url, request.headers, request.body))

    client.meta.events.register("before-send", capture)
    return client


def captured(call):
    with pytest.raises(Captured) as caught:
        call()
    return caught.value.signed


def test_boto3_cloudformation_query_post():
    client = boto3_client("cloudformation")
    req = captured(lambda: client.describe_stacks(StackName="my-stack"))
    assert req.form is not None and ("StackName", "my-stack") in req.form
    caller = verify_request(req, default_lookup())
    assert (caller.account_id, caller.region, caller.service) == (ACCOUNT, "RegionOne", "cloudformation")


def test_boto3_cloudwatch_whatever_protocol_it_speaks():
    client = boto3_client("cloudwatch")
    req = captured(
        lambda: client.put_metric_data(
            Namespace="system/linux", MetricData=[{"MetricName": "MemoryUtilization", "Value": 42.0}]
        )
    )
    caller = verify_request(req, default_lookup())
    assert (caller.service, caller.signature_version) == ("monitoring", SIGV4)


def test_boto3_presigned_url():
    client = boto3_client("cloudformation")
    url = client.generate_presigned_url(
        "describe_stacks", Params={"StackName": "s"}, ExpiresIn=120, HttpMethod="GET"
    )
    req = wire_request("GET", url, {}, b"")
    assert verify_request(req, default_lookup()).signature_version == SIGV4_PRESIGNED


def test_boto3_presigned_url_is_bound_to_its_http_method():
    # Without HttpMethod botocore signs the model's method (POST for the query
    # protocol); like AWS, the method is part of what was signed.
    client = boto3_client("cloudformation")
    url = client.generate_presigned_url("describe_stacks", Params={"StackName": "s"}, ExpiresIn=120)
    assert verify_request(wire_request("POST", url, {}, b""), default_lookup()).signature_version == SIGV4_PRESIGNED
    with pytest.raises(ServiceError) as caught:
        verify_request(wire_request("GET", url, {}, b""), default_lookup())
    assert caught.value.code == "SignatureDoesNotMatch"


def test_boto3_with_wrong_secret_is_refused():
    client = boto3_client("cloudformation", secret="not-it")
    req = captured(lambda: client.list_stacks())
    with pytest.raises(ServiceError) as caught:
        verify_request(req, default_lookup())
    assert caught.value.code == "SignatureDoesNotMatch"


def test_boto2_cloudwatch_connection_like_cfn_push_stats():
    conn = CloudWatchConnection(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        is_secure=False,
        port=PORT,
        path="/v1/",
        region=RegionInfo(name="RegionOne", endpoint="127.0.0.1"),
    )

    def sender(_http_connection, method, path, body, headers):
        raise Captured(wire_request(method, f"http://{HOST}{path}", headers, body))

    conn._mexe = functools.partial(conn._mexe, sender=sender)
    req = captured(lambda: conn.put_metric_data("system/linux", "MemoryUtilization", 42.0, unit="Percent"))
    caller = verify_request(req, default_lookup())
    assert (caller.region, caller.service, caller.signature_version) == ("0", "127", SIGV4)
