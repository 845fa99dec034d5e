"""Every operation, every protocol: botocore's client and our server agree.

Requests: botocore serializes example params, we parse them back. Results: we
serialize an example result, botocore's client parser reads it back.
"""

from __future__ import annotations

import pytest

from cfnapi.query_api.protocols import detect_protocol, protocol_for

from .examples import example, without_empty_structures
from .oracle import all_operations, client_parse, client_request, service_model

CASES = list(all_operations())
IDS = [f"{service}-{protocol}-{operation}" for service, protocol, operation in CASES]


def test_every_operation_of_both_models_is_covered():
    counted = {(s, p) for s, p, _ in CASES}
    assert counted == {("cloudformation", "query"), ("cloudwatch", "query"), ("cloudwatch", "json"), ("cloudwatch", "cbor")}
    assert sum(1 for s, p, _ in CASES if s == "cloudformation") == len(service_model("cloudformation").operation_names)


@pytest.mark.parametrize(("service", "protocol", "operation"), CASES, ids=IDS)
def test_request_params_round_trip(service, protocol, operation):
    operation_model = service_model(service).operation_model(operation)
    params = example(operation_model.input_shape) if operation_model.input_shape is not None else {}
    wire = client_request(protocol, operation_model, params)

    assert detect_protocol(wire) == protocol
    ours = protocol_for(protocol)
    assert ours.operation_name(wire) == operation
    expected = without_empty_structures(operation_model.input_shape, params) if protocol == "query" else params
    assert ours.parse(operation_model, wire) == expected


@pytest.mark.parametrize(("service", "protocol", "operation"), CASES, ids=IDS)
def test_result_round_trip(service, protocol, operation):
    operation_model = service_model(service).operation_model(operation)
    result = example(operation_model.output_shape) if operation_model.output_shape is not None else {}

    response = protocol_for(protocol).serialize(operation_model, result, "req-123")

    assert response.status == 200
    parsed = client_parse(protocol, operation_model, response)
    metadata = parsed.pop("ResponseMetadata", {})
    assert parsed == result
    if operation_model.output_shape is not None or protocol == "query":
        assert metadata.get("RequestId") == "req-123"


@pytest.mark.parametrize("operation", service_model("cloudformation").operation_names)
def test_query_get_requests_read_like_posts(operation):
    """boto 2 and heat-cfntools send some calls as GET with a query string."""
    operation_model = service_model("cloudformation").operation_model(operation)
    params = example(operation_model.input_shape) if operation_model.input_shape is not None else {}
    wire = client_request("query", operation_model, params, as_get=True)
    assert protocol_for("query").parse(operation_model, wire) == without_empty_structures(operation_model.input_shape, params)
