"""ServiceErrors reach botocore's client parser with code, message and status intact."""

from __future__ import annotations

import json

import pytest

from cfnapi.errors import ServiceError, internal_failure
from cfnapi.query_api.protocols import protocol_for

from .oracle import SERVICE_PROTOCOLS, client_parse, service_model

CASES = [(service, protocol) for service, protocols in SERVICE_PROTOCOLS.items() for protocol in protocols]

ERRORS = [
    ServiceError("ValidationError", "Stack with id missing-stack does not exist", 400),
    ServiceError("InvalidParameterValue", "The value <&> for parameter Period is invalid.", 400),
    ServiceError("ResourceNotFound", "No alarm named é", 404),
    internal_failure(),
]


@pytest.mark.parametrize(("service", "protocol"), CASES)
@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.code)
def test_botocore_reads_code_message_and_status(service, protocol, error):
    model = service_model(service)
    operation_model = model.operation_model(model.operation_names[0])

    response = protocol_for(protocol).serialize_error(model, error, "req-err")

    assert response.status == error.status
    parsed = client_parse(protocol, operation_model, response)
    assert parsed["Error"]["Code"] == error.code
    assert parsed["Error"]["Message"] == error.message
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error.status
    assert parsed["ResponseMetadata"]["RequestId"] == "req-err"


@pytest.mark.parametrize("protocol", ["json", "cbor"])
def test_query_compatible_header_names_the_query_code_and_fault(protocol):
    model = service_model("cloudwatch")
    response = protocol_for(protocol).serialize_error(
        model, ServiceError("InvalidParameterValue", "bad", 400), "r"
    )
    assert response.headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"
    receiver = protocol_for(protocol).serialize_error(model, internal_failure(), "r")
    assert receiver.headers["x-amzn-query-error"] == "InternalFailure;Receiver"


def test_json_error_type_is_the_modelled_shape():
    model = service_model("cloudwatch")
    response = protocol_for("json").serialize_error(model, ServiceError("InvalidParameterValue", "bad"), "r")
    assert json.loads(response.body)["__type"] == "com.amazonaws.cloudwatch#InvalidParameterValueException"
    unknown = protocol_for("json").serialize_error(model, ServiceError("Throttling", "slow down"), "r")
    assert json.loads(unknown.body)["__type"] == "Throttling"


def test_query_error_document_shape():
    model = service_model("cloudformation")
    response = protocol_for("query").serialize_error(model, ServiceError("ValidationError", "x < y"), "rid")
    body = response.body.decode()
    assert '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">' in body
    assert "<Type>Sender</Type><Code>ValidationError</Code><Message>x &lt; y</Message>" in body
    assert "<RequestId>rid</RequestId>" in body
