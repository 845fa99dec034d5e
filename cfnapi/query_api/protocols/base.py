"""What every wire protocol offers the WSGI app."""

from __future__ import annotations

from cfnapi.errors import ServiceError

from .wire import WireRequest, WireResponse


class Protocol:
    """One AWS wire protocol, server side: read requests, write responses.

    Every method is driven by botocore's operation and service models; none
    knows anything about a particular operation.
    """

    name = ""

    def operation_name(self, req: WireRequest) -> str:
        """The operation the request asks for (not yet checked against a model)."""
        raise NotImplementedError

    def parse(self, operation_model, req: WireRequest) -> dict:
        """The params dict exactly as botocore's client was given them.

        Raises ServiceError — and nothing else — for any bad input.
        """
        raise NotImplementedError

    def serialize(self, operation_model, result: dict, request_id: str, *, json_body: bool = False) -> WireResponse:
        raise NotImplementedError

    def serialize_error(
        self, service_model, error: ServiceError, request_id: str, *, json_body: bool = False
    ) -> WireResponse:
        raise NotImplementedError


def query_error_header(error: ServiceError) -> str:
    """``x-amzn-query-error``: how JSON and CBOR carry a query-era error code.

    botocore (for services with the awsQueryCompatible trait) reads the code
    from here rather than from ``__type``, so clients see ``InvalidParameterValue``
    and not the error shape's name.
    """
    return f"{error.code};{'Sender' if error.sender_fault else 'Receiver'}"


def error_type(service_model, error: ServiceError) -> str:
    """The ``__type`` of a JSON/CBOR error: the modelled shape's qualified name.

    CloudWatch's ``InvalidParameterValue`` is the shape
    ``InvalidParameterValueException``; codes the model does not know go out
    as themselves.
    """
    if service_model is None:
        return error.code
    matching = [shape.name for shape in service_model.error_shapes if shape.error_code == error.code]
    if not matching:
        return error.code
    # Two shapes may share a code (CloudWatch's ResourceNotFound and DashboardNotFoundError).
    name = error.code if error.code in matching else matching[0]
    namespace = "com.amazonaws." + service_model.service_id.replace(" ", "").lower()
    return f"{namespace}#{name}"
