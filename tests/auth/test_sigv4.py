"""SigV4 verification, with botocore and boto 2 as the signers."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from boto.auth import HmacAuthV4Handler

from cfnapi.auth import SIGV4, SIGV4_PRESIGNED, verify_request
from cfnapi.auth.timestamps import utc_now
from cfnapi.errors import ServiceError

from .signing import (
    ACCESS_KEY,
    ACCOUNT,
    FORM,
    boto2_signed,
    botocore_presigned,
    botocore_sigv4,
    default_lookup,
)

FORM_BODY = "Action=DescribeStacks&Version=2010-05-15&StackName=my%20stack"


def verify(req, now=None):
    return verify_request(req, default_lookup(), now)


def error_code(req, now=None) -> str:
    with pytest.raises(ServiceError) as caught:
        verify(req, now)
    return caught.value.code


def with_headers(req, **changes):
    headers = dict(req.headers)
    for name, value in changes.items():
        name = name.replace("_", "-")
        for existing in list(headers):
            if existing.lower() == name.lower():
                del headers[existing]
        if value is not None:
            headers[name] = value
    return dataclasses.replace(req, headers=headers)


# --- valid requests ------------------------------------------------------------


def test_post_form_body_verifies():
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM})
    assert req.form is not None and ("StackName", "my stack") in req.form
    caller = verify(req)
    assert caller.access_key_id == ACCESS_KEY
    assert caller.account_id == ACCOUNT
    assert (caller.region, caller.service, caller.signature_version) == ("us-east-1", "cloudformation", SIGV4)


def test_get_with_query_parameters_verifies():
    req = botocore_sigv4(
        method="GET",
        params={"Action": "ListStacks", "StackStatusFilter.member.1": "CREATE_COMPLETE", "Odd": "a b/c~d*e"},
    )
    assert ("Odd", "a b/c~d*e") in req.query
    assert verify(req).signature_version == SIGV4


def test_any_region_and_service_in_the_scope_verify():
    caller = verify(botocore_sigv4(region="RegionOne", service="monitoring"))
    assert (caller.region, caller.service) == ("RegionOne", "monitoring")


def test_json_body_verifies():
    req = botocore_sigv4(
        data=b'{"Namespace": "x"}',
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"},
        service="monitoring",
    )
    assert verify(req).service == "monitoring"


def test_path_with_escapes_is_double_encoded_like_the_sdk():
    assert verify(botocore_sigv4(url="http://127.0.0.1:8000/v1/a%20b/./c/")).signature_version == SIGV4


def test_unsigned_payload_header_verifies():
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert verify(req).signature_version == SIGV4


def test_content_sha256_header_with_the_body_digest_verifies():
    import hashlib

    digest = hashlib.sha256(FORM_BODY.encode()).hexdigest()
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM, "X-Amz-Content-SHA256": digest})
    assert verify(req).signature_version == SIGV4


def test_date_header_instead_of_x_amz_date_verifies():
    from email.utils import formatdate

    req = botocore_sigv4(headers={"Date": formatdate(usegmt=True)})
    assert not any(name.lower() == "x-amz-date" for name in req.headers)
    assert verify(req).signature_version == SIGV4


def test_boto2_post_with_its_host_derived_scope_verifies():
    # cfn-push-stats: boto 2 signs region "0" and service "127" for host 127.0.0.1.
    req = boto2_signed(HmacAuthV4Handler, "POST", {"Action": "PutMetricData", "Namespace": "system/linux"})
    assert req.form is not None and req.query == []
    caller = verify(req)
    assert (caller.region, caller.service, caller.signature_version) == ("0", "127", SIGV4)


def test_boto2_get_with_query_verifies():
    req = boto2_signed(HmacAuthV4Handler, "GET", {"Action": "DescribeStacks", "StackName": "a b+c"})
    assert ("StackName", "a b+c") in req.query
    assert verify(req).service == "127"


# --- presigned URLs ------------------------------------------------------------------


def test_presigned_url_verifies():
    req = botocore_presigned(params={"Action": "DescribeStacks", "StackName": "s1"})
    caller = verify(req)
    assert caller.signature_version == SIGV4_PRESIGNED
    assert caller.region == "us-east-1"


def test_presigned_url_expires():
    req = botocore_presigned(expires=60)
    assert verify(req, utc_now() + timedelta(seconds=30)).signature_version == SIGV4_PRESIGNED
    assert error_code(req, utc_now() + timedelta(seconds=120)) == "RequestExpired"


def test_presigned_url_with_altered_parameter_fails():
    req = botocore_presigned(params={"Action": "DescribeStacks", "StackName": "s1"})
    query = [(k, "s2" if k == "StackName" else v) for k, v in req.query]
    assert error_code(dataclasses.replace(req, query=query)) == "SignatureDoesNotMatch"


def test_presigned_url_with_a_body_must_have_signed_it():
    req = botocore_presigned(params={"Action": "DescribeStacks"})
    assert error_code(dataclasses.replace(req, method="GET", body=b"Action=DeleteStack")) == "SignatureDoesNotMatch"


def test_presigned_url_with_excessive_lifetime_is_refused():
    req = botocore_presigned()
    query = [(k, "999999999" if k == "X-Amz-Expires" else v) for k, v in req.query]
    assert error_code(dataclasses.replace(req, query=query)) == "InvalidParameterValue"


def test_presigned_url_missing_parameter_is_incomplete():
    req = botocore_presigned()
    query = [(k, v) for k, v in req.query if k != "X-Amz-Credential"]
    assert error_code(dataclasses.replace(req, query=query)) == "IncompleteSignature"


# --- negative cases ------------------------------------------------------------------


def test_wrong_secret_fails():
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM}, secret="not-the-secret")
    with pytest.raises(ServiceError) as caught:
        verify(req)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status == 403
    assert caught.value.message.startswith("The request signature we calculated does not match")


def test_altered_body_fails():
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM})
    assert error_code(dataclasses.replace(req, body=req.body.replace(b"my%20stack", b"other"))) == "SignatureDoesNotMatch"


def test_altered_body_with_declared_digest_is_a_digest_mismatch():
    import hashlib

    digest = hashlib.sha256(FORM_BODY.encode()).hexdigest()
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM, "X-Amz-Content-SHA256": digest})
    assert error_code(dataclasses.replace(req, body=b"Action=DeleteStack")) == "XAmzContentSHA256Mismatch"


def test_altered_signed_header_fails():
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM})
    assert error_code(with_headers(req, Content_Type="application/json")) == "SignatureDoesNotMatch"


def test_altered_query_fails():
    req = botocore_sigv4(method="GET", params={"Action": "ListStacks"})
    assert error_code(dataclasses.replace(req, query=[("Action", "DeleteStack")])) == "SignatureDoesNotMatch"


def test_altered_path_or_method_fails():
    req = botocore_sigv4(data=FORM_BODY, headers={"Content-Type": FORM})
    assert error_code(dataclasses.replace(req, path="/v2/")) == "SignatureDoesNotMatch"
    assert error_code(dataclasses.replace(req, method="PUT")) == "SignatureDoesNotMatch"


def test_old_request_is_expired_with_aws_message():
    req = botocore_sigv4()
    with pytest.raises(ServiceError) as caught:
        verify(req, utc_now() + timedelta(minutes=16))
    assert caught.value.code == "RequestExpired"
    assert caught.value.message.startswith("Signature expired: ")
    assert caught.value.message.endswith(" - 15 min.)")


def test_request_from_the_future_is_refused():
    req = botocore_sigv4()
    with pytest.raises(ServiceError) as caught:
        verify(req, utc_now() - timedelta(minutes=16))
    assert caught.value.code == "RequestExpired"
    assert caught.value.message.startswith("Signature not yet current: ")


def test_skew_within_fifteen_minutes_is_accepted():
    assert verify(botocore_sigv4(), utc_now() + timedelta(minutes=14)).signature_version == SIGV4


def test_unknown_key_is_invalid_client_token():
    with pytest.raises(ServiceError) as caught:
        verify(botocore_sigv4(access_key="AKIAUNKNOWNKEY000000"))
    assert (caught.value.code, caught.value.status) == ("InvalidClientTokenId", 403)
    assert caught.value.message == "The security token included in the request is invalid."


def test_inactive_key_is_invalid_client_token():
    req = botocore_sigv4(access_key="AKIAINACTIVEKEY00000", secret="inactive-secret")
    assert error_code(req) == "InvalidClientTokenId"


def test_session_token_is_refused():
    req = with_headers(botocore_sigv4(), X_Amz_Security_Token="some-token")
    assert error_code(req) == "InvalidClientTokenId"


def test_missing_auth_is_missing_authentication_token():
    req = with_headers(botocore_sigv4(), Authorization=None)
    with pytest.raises(ServiceError) as caught:
        verify(req)
    assert (caught.value.code, caught.value.status) == ("MissingAuthenticationToken", 403)
    assert caught.value.message == "Request is missing Authentication Token"


@pytest.mark.parametrize(
    "authorization, fragment",
    [
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", "requires 'Credential' parameter"),
        ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/r/s/aws4_request", "requires 'Signature'"),
        ("AWS4-HMAC-SHA256 Credential=AKIA/2024/aws4_request, SignedHeaders=host, Signature=ab", "Credential should"),
        ("AWS4-HMAC-SHA256 Credential=AKIA/20240101/r/s/aws4_request, SignedHeaders=x-amz-date, Signature=ab", "Host"),
        ("Bearer abc", "Unsupported Authorization type 'Bearer'"),
        ("AWS AKIAIOSFODNN7EXAMPLE:c2lnbmF0dXJl", "Unsupported Authorization type 'AWS'"),
    ],
)
def test_malformed_authorization_is_incomplete_signature(authorization, fragment):
    req = with_headers(botocore_sigv4(), Authorization=authorization)
    with pytest.raises(ServiceError) as caught:
        verify(req)
    assert caught.value.code == "IncompleteSignature"
    assert caught.value.status == 400
    assert fragment in caught.value.message


def test_missing_date_is_incomplete_signature():
    req = with_headers(botocore_sigv4(), X_Amz_Date=None)
    with pytest.raises(ServiceError) as caught:
        verify(req)
    assert caught.value.code == "IncompleteSignature"
    assert "'X-Amz-Date' or a 'Date' header" in caught.value.message


def test_scope_date_must_match_request_date():
    req = botocore_sigv4()
    auth = req.header("Authorization")
    scope_date = auth.split("Credential=")[1].split("/")[1]
    other = "19990101" if scope_date != "19990101" else "19990102"
    assert error_code(with_headers(req, Authorization=auth.replace(scope_date, other))) == "SignatureDoesNotMatch"


def test_tampered_signature_fails():
    req = botocore_sigv4()
    auth = req.header("Authorization")
    signature = auth.rsplit("Signature=", 1)[1]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert error_code(with_headers(req, Authorization=auth.replace(signature, flipped))) == "SignatureDoesNotMatch"
    assert error_code(with_headers(req, Authorization=auth.replace(signature, "é" * 64))) == "SignatureDoesNotMatch"
