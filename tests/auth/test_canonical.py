"""Canonical forms, and a known answer from AWS's published SigV4 test suite."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cfnapi.auth import Credential, SignedRequest, verify_request
from cfnapi.auth.canonical import canonical_query, canonical_uri, remove_dot_segments, trim_header_value
from cfnapi.errors import ServiceError

from .signing import DictLookup


@pytest.mark.parametrize(
    "path, expected",
    [
        ("", "/"),
        ("/", "/"),
        ("/v1/", "/v1/"),
        ("/a/./b/../c", "/a/c"),
        ("//a//b/", "/a/b/"),
        ("/..", "/"),
    ],
)
def test_remove_dot_segments(path, expected):
    assert remove_dot_segments(path) == expected


def test_canonical_uri_encodes_the_received_path_once_more():
    assert canonical_uri("/a%20b/c~d") == "/a%2520b/c~d"


def test_canonical_query_sorts_encoded_names_then_values():
    pairs = [("b", "2"), ("a", "z"), ("a", "y"), ("A", "x"), ("sp ace", "a+b c")]
    assert canonical_query(pairs) == "A=x&a=y&a=z&b=2&sp%20ace=a%2Bb%20c"


def test_trim_header_value():
    assert trim_header_value("  a   b \t c  ") == "a b c"


AWS_EXAMPLE = Credential("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "111122223333")


def test_aws_sigv4_suite_get_vanilla():
    authorization = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
    headers = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z", "Authorization": authorization}
    req = SignedRequest("GET", "/", [], headers, b"", "example.amazonaws.com")
    at = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)
    caller = verify_request(req, DictLookup(AWS_EXAMPLE), at)
    assert (caller.account_id, caller.region, caller.service) == ("111122223333", "us-east-1", "service")

    with pytest.raises(ServiceError):
        verify_request(SignedRequest("GET", "/x", [], headers, b"", "example.amazonaws.com"), DictLookup(AWS_EXAMPLE), at)
