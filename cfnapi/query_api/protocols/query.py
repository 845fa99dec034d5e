"""The query protocol: form parameters in, XML (or boto 2's JSON) out.

CloudFormation speaks only this; CloudWatch speaks it to older clients
(boto 2's cfn-push-stats, the AWS CLI v1 before 2024).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from cfnapi.errors import ServiceError

from . import query_xml, traits
from .base import Protocol
from .document_result import DocumentResultWriter, base64_text
from .query_params import QueryParamsReader
from .timestamps import to_epoch
from .validation import validation_style
from .wire import WireRequest, WireResponse

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
XML_HEADERS = {"Content-Type": "text/xml"}
JSON_HEADERS = {"Content-Type": "application/json"}

# ``ContentType=JSON`` (boto 2's CloudFormationConnection, heat-cfntools) gets the
# XML document's structure as JSON: same element names, lists as arrays, and
# timestamps as epoch seconds — what AWS sent; boto 2 hands them through untouched.
_QUERY_JSON_WRITER = DocumentResultWriter(
    timestamp=lambda shape: to_epoch, blob=base64_text, member_name=traits.xml_member_name
)


def form_pairs(req: WireRequest) -> list[tuple[str, str]]:
    """The request's parameters: a form body's first, then the query string's.

    Clients put everything in one or the other (botocore POSTs a form, boto 2's
    describe calls GET); a key present in both keeps the form's value. Decoded
    once per request (a 50 KB TemplateBody took milliseconds each time).
    """
    return req.decoded("form_pairs", lambda: _decode_form_pairs(req))


def _decode_form_pairs(req: WireRequest) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if req.body and (req.media_type == FORM_MEDIA_TYPE or not req.media_type):
        try:
            text = req.body.decode("utf-8")
            pairs.extend(parse_qsl(text, keep_blank_values=True, errors="strict"))
        except (UnicodeDecodeError, ValueError):
            raise ServiceError("MalformedQueryString", "The request body is not a valid UTF-8 form.", 400) from None
    for name, values in req.query.items():
        pairs.extend((name, value) for value in values)
    return pairs


def wants_json(req: WireRequest) -> bool:
    """Whether the client asked, with ``ContentType=JSON``, for a JSON answer."""
    return any(name == "ContentType" and value.upper() == "JSON" for name, value in _safe_pairs(req))


def _safe_pairs(req: WireRequest) -> list[tuple[str, str]]:
    try:
        return form_pairs(req)
    except ServiceError:
        return []


class QueryProtocol(Protocol):
    name = "query"

    def operation_name(self, req: WireRequest) -> str:
        action = next((value for name, value in form_pairs(req) if name == "Action"), "")
        if not action:
            raise ServiceError("MissingAction", "The request must contain the parameter Action.", 400)
        return action

    def parse(self, operation_model, req: WireRequest) -> dict:
        reader = QueryParamsReader(validation_style(operation_model.service_model))
        return reader.read(operation_model.input_shape, form_pairs(req))

    def serialize(self, operation_model, result: dict, request_id: str, *, json_body: bool = False) -> WireResponse:
        if json_body:
            return WireResponse(200, dict(JSON_HEADERS), self._json_result(operation_model, result, request_id))
        body = query_xml.result_document(operation_model, result, request_id)
        return WireResponse(200, dict(XML_HEADERS), body)

    def serialize_error(
        self, service_model, error: ServiceError, request_id: str, *, json_body: bool = False
    ) -> WireResponse:
        if json_body:
            # The shape boto 2's BotoServerError reads from a JSON error body.
            document = {
                "Error": {
                    "Type": "Sender" if error.sender_fault else "Receiver",
                    "Code": error.code,
                    "Message": error.message,
                },
                "RequestId": request_id,
            }
            return WireResponse(error.status, dict(JSON_HEADERS), json.dumps(document).encode("utf-8"))
        body = query_xml.error_document(service_model.metadata["xmlNamespace"], error, request_id)
        return WireResponse(error.status, dict(XML_HEADERS), body)

    @staticmethod
    def _json_result(operation_model, result: dict, request_id: str) -> bytes:
        response: dict = {}
        output_shape = operation_model.output_shape
        if output_shape is not None:
            response[traits.result_wrapper(operation_model)] = _QUERY_JSON_WRITER.write(output_shape, result)
        response["ResponseMetadata"] = {"RequestId": request_id}
        return json.dumps({f"{operation_model.name}Response": response}).encode("utf-8")
