"""botocore's client side as the oracle: its serializers and parsers, run in-process."""

from __future__ import annotations

from functools import cache
from urllib.parse import parse_qs, urlencode, urlsplit

import botocore.session
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cfnapi.query_api.protocols import WireRequest, WireResponse

# Our protocol names → botocore's.
BOTOCORE_PROTOCOL = {"query": "query", "json": "json", "cbor": "smithy-rpc-v2-cbor"}
SERVICE_PROTOCOLS = {"cloudformation": ("query",), "cloudwatch": ("query", "json", "cbor")}


@cache
def service_model(name: str):
    return botocore.session.get_session().get_service_model(name)


def all_operations():
    """(service, protocol, operation) for every operation in every protocol its service speaks."""
    for service, protocols in SERVICE_PROTOCOLS.items():
        model = service_model(service)
        for protocol in protocols:
            for operation in model.operation_names:
                yield service, protocol, operation


def _body_bytes(body) -> bytes:
    if isinstance(body, dict):
        return urlencode(body).encode("ascii")
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body or b"")


def client_request(protocol: str, operation_model, params: dict, *, as_get: bool = False) -> WireRequest:
    """What botocore's client would put on the wire for ``params``."""
    serializer = create_serializer(BOTOCORE_PROTOCOL[protocol], include_validation=True)
    request = serializer.serialize_to_request(params, operation_model)
    headers = dict(request["headers"])
    query = request["query_string"] if isinstance(request["query_string"], dict) else {}
    query = {k: [v] for k, v in query.items()}
    body = _body_bytes(request["body"])
    method = request["method"]
    if as_get:  # boto 2's describe calls: everything in the query string
        query = parse_qs(body.decode("ascii"), keep_blank_values=True)
        body, method = b"", "GET"
        headers.pop("Content-Type", None)
    return WireRequest(method=method, path=request["url_path"], query=query, headers=headers, body=body)


def wire_from_prepared(prepared) -> WireRequest:
    """A WireRequest from a botocore AWSPreparedRequest (what ``before-send`` sees)."""
    url = urlsplit(prepared.url)
    return WireRequest(
        method=prepared.method,
        path=url.path or "/",
        query=parse_qs(url.query, keep_blank_values=True),
        headers={k: v.decode("latin-1") if isinstance(v, bytes) else v for k, v in prepared.headers.items()},
        body=_body_bytes(prepared.body),
    )


def client_parse(protocol: str, operation_model, response: WireResponse) -> dict:
    """What botocore's client makes of our response."""
    parser = create_parser(BOTOCORE_PROTOCOL[protocol])
    headers = HeadersDict()
    for name, value in response.headers.items():
        headers[name] = value
    return parser.parse(
        {"status_code": response.status, "headers": headers, "body": response.body},
        operation_model.output_shape,
    )
