"""The WSGI application: one request from bytes to handler and back.

Order of work for a request: read the body within limits, detect the wire
protocol (so every error, auth errors included, is written the way this
client reads it), verify the signature, find the service and operation,
parse the params from botocore's model, call the handler, serialize.
"""

from __future__ import annotations

import gzip
import logging
import uuid
import zlib
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from cfnapi.auth import CredentialLookup, SignedRequest, VerifiedCaller, verify_request
from cfnapi.errors import ServiceError, internal_failure
from cfnapi.handlers.base import RequestContext
from cfnapi.query_api.protocols import (
    WireRequest, WireResponse, check_constraints, detect_protocol, protocol_for, wants_json,
)
from cfnapi.query_api.services import Service, choose_service

log = logging.getLogger(__name__)

MAX_DECODED_BYTES = 16 * 1024 * 1024  # a gzip body may not inflate past this
CLOUDWATCH_MAX_BODY = 1024 * 1024  # PutMetricData's documented 1 MB request limit

# Extra routes served before AWS authentication, e.g. presigned wait-condition
# signal URLs: (method, path, query, headers, body) -> Response or None.
PreAuthRoute = Callable[[Request, bytes], Response | None]


class ApiApp:
    def __init__(
        self,
        services: dict[str, Service],
        credentials: CredentialLookup,
        region: str,
        max_request_bytes: int = 2 * 1024 * 1024,
        pre_auth_routes: Iterable[PreAuthRoute] = (),
        is_ready: Callable[[], bool] = lambda: True,
        verifier: Callable[[SignedRequest], VerifiedCaller] | None = None,
    ):
        self.services = services
        self.credentials = credentials
        # Who signed a request: cfnapi's credential store unless a verifier is given
        # (OpenStack mode also accepts Keystone EC2 credentials).
        self.verify = verifier or (lambda req: verify_request(req, credentials))
        self.region = region
        self.max_request_bytes = max_request_bytes
        self.pre_auth_routes = list(pre_auth_routes)
        self.is_ready = is_ready

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            ready = self.is_ready()
            return Response("ok\n" if ready else "starting\n", status=200 if ready else 503)

        request_id = str(uuid.uuid4())
        raw_body, too_large = _read_body(request, self.max_request_bytes)
        for route in self.pre_auth_routes:
            routed = route(request, raw_body)
            if routed is not None:
                return routed

        wire = _wire_request(request, b"")
        protocol = protocol_for(detect_protocol(wire))
        json_body = False
        service: Service = self.services["cloudformation"]
        try:
            if too_large:
                raise _too_large(self.max_request_bytes)
            wire = _wire_request(request, _decode_body(request, raw_body))
            json_body = wants_json(wire)
            caller = self.verify(_signed_request(request, raw_body))
            operation_name = protocol.operation_name(wire)
            service = choose_service(self.services, protocol.name, operation_name, caller.service)
            if service.name == "cloudwatch" and len(raw_body) > CLOUDWATCH_MAX_BODY:
                raise _too_large(CLOUDWATCH_MAX_BODY)
            operation_model = service.operation_model(operation_name)
            params = protocol.parse(operation_model, wire)
            check_constraints(operation_model, params)
            context = RequestContext(
                account_id=caller.account_id,
                access_key_id=caller.access_key_id,
                region=self.region,
                request_id=request_id,
                endpoint_url=request.host_url.rstrip("/"),
            )
            result = service.handlers.handler_for(operation_name)(context, params)
            wire_response = protocol.serialize(operation_model, result or {}, request_id, json_body=json_body)
        except ServiceError as error:
            wire_response = protocol.serialize_error(service.model, error, request_id, json_body=json_body)
        except Exception:  # a bug: log it, answer AWS-shaped, keep serving
            log.exception("request %s failed", request_id)
            wire_response = protocol.serialize_error(service.model, internal_failure(), request_id, json_body=json_body)
        return _to_response(wire_response, request_id)


def _read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes; report whether the body was larger."""
    length = request.content_length
    if length is not None and length > limit:
        return b"", True
    data = request.stream.read(limit + 1)
    return data[:limit], len(data) > limit


def _decode_body(request: Request, body: bytes) -> bytes:
    encoding = (request.headers.get("Content-Encoding") or "").strip().lower()
    if encoding != "gzip":
        return body
    try:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        data = inflater.decompress(body, MAX_DECODED_BYTES + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise ServiceError("InvalidParameterValue", f"The gzip-encoded request body could not be decoded: {exc}") from exc
    if len(data) > MAX_DECODED_BYTES or inflater.unconsumed_tail:
        raise _too_large(MAX_DECODED_BYTES)
    return data


def _too_large(limit: int) -> ServiceError:
    return ServiceError("RequestEntityTooLarge", f"Request size exceeded {limit} bytes", 413)


def _wire_request(request: Request, body: bytes) -> WireRequest:
    query = parse_qs(request.query_string.decode("latin-1"), keep_blank_values=True)
    return WireRequest(
        method=request.method,
        path=request.path,
        query=query,
        headers=Headers(request.headers),
        body=body,
    )


def _is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded"


def _signed_request(request: Request, raw_body: bytes) -> SignedRequest:
    form = None
    # Only signatures without an Authorization header (SigV2, or none) read the form;
    # a header-signed (SigV4) request's form is decoded once, by its protocol, not here.
    if _is_form(request.headers.get("Content-Type")) and not (request.headers.get("Authorization") or "").strip():
        form = parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True)
    return SignedRequest(
        method=request.method,
        path=raw_path(request),
        query=parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True),
        headers=Headers(request.headers),
        body=raw_body,
        host=request.headers.get("Host", ""),
        form=form,
    )


def raw_path(request: Request) -> str:
    """The path exactly as the client sent it (waitress: REQUEST_URI), for signatures."""
    uri = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or ""
    return uri.split("?")[0] or request.path


def _to_response(wire: WireResponse, request_id: str) -> Response:
    response = Response(wire.body, status=wire.status)
    for name, value in wire.headers.items():
        response.headers[name] = value
    response.headers["x-amzn-RequestId"] = request_id
    return response
