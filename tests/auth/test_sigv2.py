"""SigV2 verification, with botocore and boto 2 as the signers."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from boto.auth import QuerySignatureV2AuthHandler

from cfnapi.auth import SIGV2, verify_request
from cfnapi.auth.request import SignedRequest
from cfnapi.auth.sigv2 import compute_signature
from cfnapi.auth.timestamps import utc_now
from cfnapi.errors import ServiceError

from .signing import ACCESS_KEY, ACCOUNT, HOST, SECRET, boto2_signed, botocore_sigv2, default_lookup


def verify(req, now=None):
    return verify_request(req, default_lookup(), now)


def error_code(req, now=None) -> str:
    with pytest.raises(ServiceError) as caught:
        verify(req, now)
    return caught.value.code


def replace_param(pairs, name, value):
    return [(k, value if k == name else v) for k, v in pairs]


def test_botocore_post_form_verifies():
    req = botocore_sigv2(params={"Action": "DescribeStacks", "Version": "2010-05-15", "StackName": "a b&c=d"})
    assert req.form is not None and ("StackName", "a b&c=d") in req.form
    caller = verify(req)
    assert (caller.access_key_id, caller.account_id) == (ACCESS_KEY, ACCOUNT)
    assert (caller.region, caller.service, caller.signature_version) == (None, None, SIGV2)


def test_botocore_get_query_verifies():
    req = botocore_sigv2(method="GET", params={"Action": "ListStacks", "Filter": "ü~*"})
    assert req.form is None and ("Filter", "ü~*") in req.query
    assert verify(req).signature_version == SIGV2


def test_boto2_post_verifies_although_it_signs_the_host_without_port():
    req = boto2_signed(QuerySignatureV2AuthHandler, "POST", {"Action": "DescribeStacks", "StackName": "x y"})
    assert req.header("Host") == HOST
    assert verify(req).signature_version == SIGV2


def test_boto2_get_verifies():
    req = boto2_signed(QuerySignatureV2AuthHandler, "GET", {"Action": "DescribeStacks", "StackName": "x+y/z"})
    assert ("StackName", "x+y/z") in req.query
    assert verify(req).signature_version == SIGV2


def test_hmac_sha1_and_expires_verify():
    # A URL handed out ahead of time (as a wait-condition handle would be).
    expires = (utc_now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = [
        ("AWSAccessKeyId", ACCESS_KEY), ("SignatureVersion", "2"), ("SignatureMethod", "HmacSHA1"),
        ("Expires", expires), ("Action", "SignalResource"),
    ]
    signature = compute_signature(SECRET, "PUT", HOST, "/v1/waitcondition", params, "HmacSHA1")
    req = SignedRequest("PUT", "/v1/waitcondition", params + [("Signature", signature)],
                        {"Host": HOST, "Content-Type": "application/json"}, b'{"Status": "SUCCESS"}', HOST, None)
    assert verify(req).signature_version == SIGV2
    assert error_code(req, utc_now() + timedelta(hours=2)) == "RequestExpired"


def test_wrong_secret_fails():
    assert error_code(botocore_sigv2(secret="wrong")) == "SignatureDoesNotMatch"


def test_altered_form_parameter_fails():
    req = botocore_sigv2(params={"Action": "DescribeStacks", "StackName": "mine"})
    assert error_code(dataclasses.replace(req, form=replace_param(req.form, "StackName", "yours"))) == "SignatureDoesNotMatch"


def test_unsigned_extra_query_parameter_fails():
    # Every parameter the service will read must be signed, wherever it travels.
    req = botocore_sigv2(params={"Action": "DescribeStacks"})
    assert error_code(dataclasses.replace(req, query=[("StackName", "injected")])) == "SignatureDoesNotMatch"


def test_altered_host_path_or_method_fails():
    req = botocore_sigv2()
    headers = {**req.headers, "Host": "evil.example:8000"}
    assert error_code(dataclasses.replace(req, headers=headers, host="evil.example:8000")) == "SignatureDoesNotMatch"
    assert error_code(dataclasses.replace(req, path="/other/")) == "SignatureDoesNotMatch"
    assert error_code(dataclasses.replace(req, method="PUT")) == "SignatureDoesNotMatch"


def test_old_timestamp_is_expired():
    assert error_code(botocore_sigv2(), utc_now() + timedelta(minutes=16)) == "RequestExpired"
    assert verify(botocore_sigv2(), utc_now() + timedelta(minutes=14)).signature_version == SIGV2


def test_unknown_and_inactive_keys_are_invalid_client_tokens():
    assert error_code(botocore_sigv2(access_key="AKIAUNKNOWNKEY000000")) == "InvalidClientTokenId"
    assert error_code(botocore_sigv2(access_key="AKIAINACTIVEKEY00000", secret="inactive-secret")) == "InvalidClientTokenId"


@pytest.mark.parametrize(
    "mutate, code",
    [
        (lambda form: [(k, v) for k, v in form if k != "Signature"], "IncompleteSignature"),
        (lambda form: [(k, v) for k, v in form if k != "Timestamp"], "IncompleteSignature"),
        (lambda form: replace_param(form, "SignatureVersion", "1"), "IncompleteSignature"),
        (lambda form: replace_param(form, "SignatureMethod", "HmacMD5"), "InvalidParameterValue"),
        (lambda form: replace_param(form, "Timestamp", "yesterday"), "InvalidParameterValue"),
        (lambda form: form + [("Expires", "2099-01-01T00:00:00Z")], "InvalidParameterCombination"),
    ],
)
def test_malformed_parameters(mutate, code):
    req = botocore_sigv2()
    assert error_code(dataclasses.replace(req, form=mutate(list(req.form)))) == code


def test_no_signature_parameters_at_all_is_missing_token():
    req = SignedRequest("POST", "/", [], {"Host": HOST}, b"Action=DescribeStacks", HOST, [("Action", "DescribeStacks")])
    assert error_code(req) == "MissingAuthenticationToken"
