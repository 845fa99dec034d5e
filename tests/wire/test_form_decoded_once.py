"""A query-protocol request's form body is decoded once, however many steps read it."""

from __future__ import annotations

from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from cfnapi.query_api import app
from cfnapi.query_api.protocols import WireRequest, protocol_for, query, wants_json

from .oracle import service_model

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def _counting_parse_qsl(monkeypatch, module) -> list[str]:
    calls: list[str] = []
    real = module.parse_qsl

    def counting(text, *args, **kwargs):
        calls.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(module, "parse_qsl", counting)
    return calls


def test_action_content_type_and_parameters_share_one_decoding(monkeypatch):
    calls = _counting_parse_qsl(monkeypatch, query)
    body = urlencode({"Action": "CreateStack", "StackName": "s", "TemplateBody": '{"Resources": {}}'}).encode()
    req = WireRequest("POST", "/", {}, FORM, body)
    protocol = protocol_for("query")

    assert not wants_json(req)
    assert protocol.operation_name(req) == "CreateStack"
    params = protocol.parse(service_model("cloudformation").operation_model("CreateStack"), req)

    assert params["StackName"] == "s" and params["TemplateBody"] == '{"Resources": {}}'
    assert len(calls) == 1


def _request(headers: dict[str, str], body: bytes) -> Request:
    return Request(EnvironBuilder(method="POST", path="/", headers=headers, data=body).get_environ())


def test_a_header_signed_request_is_not_decoded_again_for_its_signature(monkeypatch):
    calls = _counting_parse_qsl(monkeypatch, app)
    body = urlencode({"Action": "ListStacks"}).encode()
    signed = app._signed_request(_request({**FORM, "Authorization": "AWS4-HMAC-SHA256 Credential=x"}, body), body)
    assert signed.form is None and signed.body == body
    assert [text for text in calls if text] == []


def test_a_request_without_authorization_header_keeps_its_form_for_sigv2(monkeypatch):
    body = urlencode({"Action": "ListStacks", "Signature": "abc", "AWSAccessKeyId": "AK"}).encode()
    signed = app._signed_request(_request(FORM, body), body)
    assert signed.form == [("Action", "ListStacks"), ("Signature", "abc"), ("AWSAccessKeyId", "AK")]
