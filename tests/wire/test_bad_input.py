"""Bad input earns the AWS-shaped ServiceError — and never anything else."""

from __future__ import annotations

import json

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfnapi.errors import ServiceError
from cfnapi.query_api.protocols import WireRequest, detect_protocol, protocol_for

from .oracle import service_model

CFN = service_model("cloudformation")
CW = service_model("cloudwatch")
JSON_HEADERS = {"X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData", "Content-Type": "application/x-amz-json-1.0"}
CBOR_HEADERS = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/PutMetricData"


def form(params: dict[str, str], method: str = "POST") -> WireRequest:
    return WireRequest(method, "/", {k: [v] for k, v in params.items()}, {}, b"")


def parse_error(protocol: str, operation_model, req: WireRequest) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        protocol_for(protocol).parse(operation_model, req)
    return raised.value


# --- CloudFormation: AWS's ValidationError wording -------------------------------------------


def test_cloudformation_missing_required_member():
    error = parse_error("query", CFN.operation_model("CreateStack"), form({"Action": "CreateStack"}))
    assert (error.code, error.status) == ("ValidationError", 400)
    assert error.message == (
        "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_cloudformation_missing_nested_members_are_all_reported():
    req = form({"Action": "CreateStack", "StackName": "s", "Tags.member.1.Value": "v", "Tags.member.2.Key": "k"})
    error = parse_error("query", CFN.operation_model("CreateStack"), req)
    assert error.message == (
        "2 validation errors detected: "
        "Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null; "
        "Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null"
    )


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("TimeoutInMinutes", "ten", "an integer"),
        ("TimeoutInMinutes", "1.5", "an integer"),
        ("TimeoutInMinutes", "1_000", "an integer"),
        ("TimeoutInMinutes", "\u00b2", "an integer"),
        ("TimeoutInMinutes", "4294967296", "an integer between -2147483648 and 2147483647"),
        ("DisableRollback", "maybe", "true or false"),
    ],
)
def test_cloudformation_values_of_the_wrong_type(param, value, expected):
    req = form({"Action": "CreateStack", "StackName": "s", param: value})
    error = parse_error("query", CFN.operation_model("CreateStack"), req)
    path = param[0].lower() + param[1:]
    assert error.code == "ValidationError"
    assert error.message == (
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: Member must be {expected}"
    )


def test_unknown_query_parameters_are_ignored():
    req = form({"Action": "DescribeStacks", "StackName": "s", "Bogus": "x", "Signature": "abc", "ContentType": "JSON"})
    assert protocol_for("query").parse(CFN.operation_model("DescribeStacks"), req) == {"StackName": "s"}


def test_query_timestamps_in_iso_and_epoch_forms():
    operation_model = CW.operation_model("GetMetricStatistics")
    base = {"Namespace": "n", "MetricName": "m", "Period": "60", "Statistics.member.1": "Average"}
    for start, end in (("2024-05-06T07:08:09Z", "2024-05-06T08:08:09.500+00:00"), ("1714979289", "1714982889.5")):
        params = protocol_for("query").parse(operation_model, form({**base, "StartTime": start, "EndTime": end}))
        assert params["StartTime"].timestamp() == 1714979289
        assert params["EndTime"].timestamp() == 1714982889.5


def test_missing_action():
    with pytest.raises(ServiceError) as raised:
        protocol_for("query").operation_name(form({"StackName": "s"}))
    assert (raised.value.code, raised.value.status) == ("MissingAction", 400)


def test_undecodable_form_body():
    req = WireRequest("POST", "/", {}, {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=%ff%fe")
    with pytest.raises(ServiceError) as raised:
        protocol_for("query").operation_name(req)
    assert raised.value.code == "MalformedQueryString"


# --- CloudWatch: MissingParameter / InvalidParameterValue in every protocol ------------------


def test_cloudwatch_query_missing_parameters():
    operation_model = CW.operation_model("PutMetricData")
    error = parse_error("query", operation_model, form({"MetricData.member.1.Value": "1"}))
    assert (error.code, error.message) == ("MissingParameter", "The parameter Namespace is required.")
    error = parse_error("query", operation_model, form({"Namespace": "n", "MetricData.member.1.Value": "1"}))
    assert error.message == "The parameter MetricData.member.1.MetricName is required."


@pytest.mark.parametrize(
    ("param", "value"),
    [("MetricData.member.1.Value", "lots"), ("MetricData.member.1.Value", "1_0"), ("MetricData.member.1.Timestamp", "yesterday"), ("MetricData.member.1.StorageResolution", "1e3")],
)
def test_cloudwatch_query_invalid_values(param, value):
    req = form({"Namespace": "n", "MetricData.member.1.MetricName": "m", param: value})
    error = parse_error("query", CW.operation_model("PutMetricData"), req)
    assert error.code == "InvalidParameterValue"
    assert f"The value {value} for parameter {param} is invalid" in error.message


@pytest.mark.parametrize(
    ("protocol", "path", "headers", "encode"),
    [("json", "/", JSON_HEADERS, lambda d: json.dumps(d).encode()), ("cbor", CBOR_PATH, CBOR_HEADERS, cbor2.dumps)],
)
def test_cloudwatch_document_protocols(protocol, path, headers, encode):
    operation_model = CW.operation_model("PutMetricData")

    def req(document) -> WireRequest:
        return WireRequest("POST", path, {}, headers, encode(document))

    missing = parse_error(protocol, operation_model, req({"MetricData": [{"MetricName": "m"}]}))
    assert (missing.code, missing.message) == ("MissingParameter", "The parameter Namespace is required.")

    wrong_type = parse_error(protocol, operation_model, req({"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": "one"}]}))
    assert wrong_type.code == "SerializationException"
    assert "MetricData.1.Value" in wrong_type.message

    not_a_list = parse_error(protocol, operation_model, req({"Namespace": "n", "MetricData": {"MetricName": "m"}}))
    assert not_a_list.code == "SerializationException"

    top_level_array = parse_error(protocol, operation_model, req([1, 2]))
    assert top_level_array.code == "SerializationException"

    # Nulls and unknown keys are ignored, as AWS does.
    ok = req({"Namespace": "n", "Unknown": 1, "MetricData": [{"MetricName": "m", "Value": 1, "Unit": None}]})
    assert protocol_for(protocol).parse(operation_model, ok) == {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0}]}


@pytest.mark.parametrize(
    ("protocol", "path", "headers", "encode"),
    [("json", "/", JSON_HEADERS, lambda d: json.dumps(d).encode()), ("cbor", CBOR_PATH, CBOR_HEADERS, cbor2.dumps)],
)
def test_number_lists_read_in_one_pass_keep_the_per_item_rules(protocol, path, headers, encode):
    """Values lists take a fast path when every item is a plain number; anything
    else (nulls, booleans, special strings) still goes item by item."""
    operation_model = CW.operation_model("PutMetricData")

    def values_of(values):
        document = {"Namespace": "n", "MetricData": [{"MetricName": "m", "Values": values}]}
        req = WireRequest("POST", path, {}, headers, encode(document))
        return protocol_for(protocol).parse(operation_model, req)["MetricData"][0]["Values"]

    plain = values_of([1, 2.5, -3])
    assert plain == [1.0, 2.5, -3.0] and all(type(v) is float for v in plain)
    assert values_of([1, None, 2]) == [1.0, 2.0]
    assert values_of([1, "Infinity"]) == [1.0, float("inf")]
    error = parse_error(protocol, operation_model, WireRequest(
        "POST", path, {}, headers, encode({"Namespace": "n", "MetricData": [{"MetricName": "m", "Values": [1, True]}]})))
    assert error.code == "SerializationException" and "MetricData.1.Values.2" in error.message


@pytest.mark.parametrize("body", [b"{", b"{'Namespace': 1}", b"\xff\xfe", b"[1,", b'{"a": NaN'])
def test_malformed_json(body):
    error = parse_error("json", CW.operation_model("PutMetricData"), WireRequest("POST", "/", {}, JSON_HEADERS, body))
    assert (error.code, error.status) == ("SerializationException", 400)


@pytest.mark.parametrize("body", [b"\xa1\x61", b"\xff", b"\xbf\x61a", b"\x1c", b"\xa1\x61a\xd8\x01\x61x"])
def test_malformed_cbor(body):
    error = parse_error("cbor", CW.operation_model("PutMetricData"), WireRequest("POST", CBOR_PATH, {}, CBOR_HEADERS, body))
    assert (error.code, error.status) == ("SerializationException", 400)


@pytest.mark.parametrize(
    ("protocol", "req"),
    [
        ("json", WireRequest("POST", "/", {}, {"Content-Type": "application/x-amz-json-1.0"}, b"{}")),
        ("json", WireRequest("POST", "/", {}, {"X-Amz-Target": "NoDot"}, b"{}")),
        ("cbor", WireRequest("POST", "/service/x/operation/", {}, CBOR_HEADERS, b"")),
        ("cbor", WireRequest("POST", "/elsewhere", {}, CBOR_HEADERS, b"")),
    ],
)
def test_requests_naming_no_operation(protocol, req):
    with pytest.raises(ServiceError) as raised:
        protocol_for(protocol).operation_name(req)
    assert raised.value.code == "UnknownOperationException"


# --- protocol detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (WireRequest("GET", "/v1/", {"Action": ["DescribeStackResource"]}, {}, b""), "query"),
        (WireRequest("POST", "/v1/", {}, {"content-type": "application/x-www-form-urlencoded"}, b"Action=X"), "query"),
        (WireRequest("POST", "/", {}, {"x-amz-target": "GraniteServiceVersion20100801.ListMetrics"}, b"{}"), "json"),
        (WireRequest("POST", "/", {}, {"Content-Type": "application/x-amz-json-1.0"}, b"{}"), "json"),
        (WireRequest("POST", CBOR_PATH, {}, {"Smithy-Protocol": "rpc-v2-cbor"}, b""), "cbor"),
        (WireRequest("POST", CBOR_PATH, {}, {"Content-Type": "application/cbor"}, b""), "cbor"),
    ],
)
def test_detect_protocol(req, expected):
    assert detect_protocol(req) == expected


# --- nothing but ServiceError, whatever arrives -------------------------------------------------

_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_OPERATIONS = ["PutMetricData", "PutMetricAlarm", "GetMetricData", "DescribeAlarms"]


def _only_service_errors(protocol: str, operation: str, req: WireRequest) -> None:
    try:
        protocol_for(protocol).parse(CW.operation_model(operation), req)
    except ServiceError:
        pass


@_FUZZ
@given(body=st.binary(max_size=200), operation=st.sampled_from(_OPERATIONS))
def test_random_bytes_never_escape_as_other_errors(body, operation):
    _only_service_errors("json", operation, WireRequest("POST", "/", {}, JSON_HEADERS, body))
    _only_service_errors("cbor", operation, WireRequest("POST", CBOR_PATH, {}, CBOR_HEADERS, body))
    _only_service_errors("query", operation, WireRequest("POST", "/", {}, {}, body))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["Namespace", "MetricData", "MetricName", "Value", "Timestamp", "Dimensions", "Name", "Values", "Counts", "x"]), inner, max_size=4),
    max_leaves=12,
)


@_FUZZ
@given(document=_json_values)
def test_documents_of_random_shape_never_escape_as_other_errors(document):
    _only_service_errors("json", "PutMetricData", WireRequest("POST", "/", {}, JSON_HEADERS, json.dumps(document).encode()))
    _only_service_errors("cbor", "PutMetricData", WireRequest("POST", CBOR_PATH, {}, CBOR_HEADERS, cbor2.dumps(document)))


@_FUZZ
@given(pairs=st.dictionaries(st.sampled_from(["Namespace", "MetricData.member.\u00b2.Value", "MetricData.member.1.StorageResolution", "MetricData.member.1.Value", "MetricData.member.x.Value", "MetricData.member.1.Timestamp", "MetricData", "MetricData.member.1.Dimensions.member.1.Name", "MetricData.member.1"]), st.text(max_size=8)))
def test_random_forms_never_escape_as_other_errors(pairs):
    _only_service_errors("query", "PutMetricData", form(pairs))
