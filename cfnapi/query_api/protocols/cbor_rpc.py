"""smithy-rpc-v2-cbor: ``POST /service/<service>/operation/<Op>`` with a CBOR body.

Timestamps travel as CBOR tag 1 (epoch seconds), blobs as byte strings, and
structure members under their member names, as botocore's RpcV2CBORParser
reads them.
"""

from __future__ import annotations

import cbor2

from cfnapi.errors import ServiceError

from .base import Protocol, error_type, query_error_header
from .document_params import DocumentParamsReader
from .document_result import DocumentResultWriter
from .json_rpc import unknown_operation
from .timestamps import to_epoch
from .validation import serialization_error, validation_style
from .wire import WireRequest, WireResponse

CBOR_MEDIA_TYPE = "application/cbor"
PATH_PREFIX = "/service/"
EPOCH_TAG = 1

_WRITER = DocumentResultWriter(
    timestamp=lambda shape: lambda value: cbor2.CBORTag(EPOCH_TAG, to_epoch(value)),
    blob=bytes,
    member_name=lambda member_shape, name: name,
)


class CborProtocol(Protocol):
    name = "cbor"

    def operation_name(self, req: WireRequest) -> str:
        parts = req.path.split("/")
        # ["", "service", <service>, "operation", <Op>]
        if len(parts) != 5 or parts[1] != "service" or parts[3] != "operation" or not parts[2] or not parts[4]:
            raise unknown_operation(f"The path {req.path} does not name an operation.")
        return parts[4]

    def parse(self, operation_model, req: WireRequest) -> dict:
        document = _load_cbor(req.body)
        reader = DocumentParamsReader(validation_style(operation_model.service_model), blobs_are_base64=False)
        return reader.read(operation_model.input_shape, document)

    def serialize(self, operation_model, result: dict, request_id: str, *, json_body: bool = False) -> WireResponse:
        output_shape = operation_model.output_shape
        if output_shape is None:
            # An operation without output answers with an empty body (Smithy's rpcv2 rule).
            return WireResponse(200, _headers(request_id), b"")
        return WireResponse(200, _headers(request_id), cbor2.dumps(_WRITER.write(output_shape, result)))

    def serialize_error(
        self, service_model, error: ServiceError, request_id: str, *, json_body: bool = False
    ) -> WireResponse:
        document = {"__type": error_type(service_model, error), "message": error.message}
        headers = _headers(request_id)
        headers["x-amzn-query-error"] = query_error_header(error)
        return WireResponse(error.status, headers, cbor2.dumps(document))


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": CBOR_MEDIA_TYPE, "smithy-protocol": "rpc-v2-cbor", "x-amzn-RequestId": request_id}


def _load_cbor(body: bytes):
    if not body:
        return {}
    try:
        document = cbor2.loads(body)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, MemoryError):
        raise serialization_error("The request body is not valid CBOR.") from None
    if not isinstance(document, dict):
        raise serialization_error("The request body must be a CBOR map.")
    return document
