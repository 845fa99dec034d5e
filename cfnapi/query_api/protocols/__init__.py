"""The AWS wire protocols, server side, driven by botocore's service models.

The WSGI app detects a request's protocol, asks it for the operation name,
parses the params, and serializes the handler's result or a ServiceError:

    protocol = protocol_for(detect_protocol(req))
    params = protocol.parse(operation_model, req)
    check_constraints(operation_model, params)  # the model's min/max, enum, pattern
    response = protocol.serialize(operation_model, result, request_id, json_body=wants_json(req))

One generic reader and writer per protocol; nothing here knows an operation.
"""

from __future__ import annotations

from .base import Protocol
from .cbor_rpc import CborProtocol
from .constraints import check_constraints
from .json_rpc import JsonProtocol
from .query import QueryProtocol, wants_json
from .wire import WireRequest, WireResponse

__all__ = [
    "CborProtocol",
    "JsonProtocol",
    "Protocol",
    "QueryProtocol",
    "WireRequest",
    "WireResponse",
    "check_constraints",
    "detect_protocol",
    "protocol_for",
    "wants_json",
]

_PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (QueryProtocol(), JsonProtocol(), CborProtocol())}


def detect_protocol(req: WireRequest) -> str:
    """``"query"``, ``"json"`` or ``"cbor"``, from headers and path only (never the body).

    CBOR requests say so in ``smithy-protocol`` (or are POSTs of
    ``application/cbor`` to ``/service/…``); JSON requests carry
    ``X-Amz-Target`` or the ``application/x-amz-json-1.0`` content type;
    everything else is a form or query string.
    """
    if req.header("smithy-protocol").strip().lower() == "rpc-v2-cbor":
        return "cbor"
    if req.path.startswith("/service/") and req.media_type == "application/cbor":
        return "cbor"
    if req.header("X-Amz-Target") or req.media_type.startswith("application/x-amz-json-"):
        return "json"
    return "query"


def protocol_for(name: str) -> Protocol:
    try:
        return _PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown wire protocol {name!r}") from None
