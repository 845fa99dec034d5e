"""awsJson1_0: ``X-Amz-Target: GraniteServiceVersion20100801.<Op>`` and a JSON body."""

from __future__ import annotations

import json

from cfnapi.errors import ServiceError

from .base import Protocol, error_type, query_error_header
from .document_params import DocumentParamsReader
from .document_result import DocumentResultWriter, base64_text
from .timestamps import UNIX, shape_format, timestamp_writer
from .validation import serialization_error, validation_style
from .wire import WireRequest, WireResponse

JSON_MEDIA_TYPE = "application/x-amz-json-1.0"

_WRITER = DocumentResultWriter(
    timestamp=lambda shape: timestamp_writer(shape_format(shape, UNIX)),
    blob=base64_text,
)


def unknown_operation(detail: str) -> ServiceError:
    return ServiceError("UnknownOperationException", detail, 400)


class JsonProtocol(Protocol):
    name = "json"

    def operation_name(self, req: WireRequest) -> str:
        target = req.header("X-Amz-Target")
        prefix, dot, operation = target.rpartition(".")
        if not dot or not prefix or not operation:
            raise unknown_operation(f"The X-Amz-Target header '{target}' does not name an operation.")
        return operation

    def parse(self, operation_model, req: WireRequest) -> dict:
        document = _load_json(req.body)
        reader = DocumentParamsReader(validation_style(operation_model.service_model), blobs_are_base64=True)
        return reader.read(operation_model.input_shape, document)

    def serialize(self, operation_model, result: dict, request_id: str, *, json_body: bool = False) -> WireResponse:
        output_shape = operation_model.output_shape
        document = _WRITER.write(output_shape, result) if output_shape is not None else {}
        return WireResponse(200, _headers(request_id), json.dumps(document, separators=(",", ":")).encode("utf-8"))

    def serialize_error(
        self, service_model, error: ServiceError, request_id: str, *, json_body: bool = False
    ) -> WireResponse:
        document = {"__type": error_type(service_model, error), "message": error.message}
        headers = _headers(request_id)
        headers["x-amzn-query-error"] = query_error_header(error)
        return WireResponse(error.status, headers, json.dumps(document).encode("utf-8"))


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": JSON_MEDIA_TYPE, "x-amzn-RequestId": request_id}


def _load_json(body: bytes):
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise serialization_error("The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise serialization_error("The request body must be a JSON object.")
    return document
