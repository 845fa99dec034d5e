"""Keystone EC2 credentials, without a Keystone: the document /v3/ec2tokens is
sent, the local-first fallback, the in-memory project tokens and the choice of
connection per account."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.auth import VerifiedCaller
from cfnapi.auth.keystone_ec2 import (
    LocalThenKeystoneVerifier,
    ProjectToken,
    ProjectTokens,
    ec2tokens_credentials,
)
from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.keystone_projects import ProjectProviders
from cfnapi.errors import ServiceError

from .signing import ACCESS_KEY, ACCOUNT, FORM, SECRET, botocore_sigv4, default_lookup

PROJECT = "0123456789abcdef0123456789abcdef"


class RecordingKeystone:
    def __init__(self):
        self.seen = []

    def verify(self, req):
        self.seen.append(req)
        return VerifiedCaller("keystone-key", PROJECT, "us-east-1", "cloudformation", "4")


def sigv4_request(body="Action=ListStacks&Version=2010-05-15", access_key=ACCESS_KEY, secret=SECRET):
    return botocore_sigv4(url="http://127.0.0.1:8000/", data=body, headers={"Content-Type": FORM},
                          access_key=access_key, secret=secret)


def test_the_ec2tokens_document_carries_what_keystone_recomputes_the_signature_from():
    req = sigv4_request()
    creds = ec2tokens_credentials(req)
    assert creds["access"] == ACCESS_KEY
    assert creds["verb"] == "POST" and creds["path"] == "/" and creds["params"] == {}
    assert creds["body_hash"] == hashlib.sha256(req.body).hexdigest()
    # Keystone looks these two up with exactly this capitalisation.
    assert creds["headers"]["Authorization"] == req.header("authorization")
    assert creds["headers"]["X-Amz-Date"] == req.header("x-amz-date")
    assert creds["signature"] in creds["headers"]["Authorization"]


def test_cfnapis_own_keys_never_go_to_keystone():
    keystone = RecordingKeystone()
    caller = LocalThenKeystoneVerifier(default_lookup(), keystone)(sigv4_request())
    assert (caller.account_id, keystone.seen) == (ACCOUNT, [])


def test_a_key_cfnapi_does_not_know_goes_to_keystone():
    keystone = RecordingKeystone()
    caller = LocalThenKeystoneVerifier(default_lookup(), keystone)(
        sigv4_request(access_key="AKIAUNKNOWNKEY000000", secret=SECRET))
    assert caller.account_id == PROJECT and len(keystone.seen) == 1


def test_a_wrong_signature_on_a_local_key_is_not_retried_at_keystone():
    keystone = RecordingKeystone()
    with pytest.raises(ServiceError) as caught:
        LocalThenKeystoneVerifier(default_lookup(), keystone)(sigv4_request(secret="wrong"))
    assert caught.value.code == "SignatureDoesNotMatch" and keystone.seen == []


def test_project_tokens_are_forgotten_once_expired():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    tokens = ProjectTokens(now=lambda: now)
    tokens.remember(ProjectToken("t", {}, PROJECT, "user", now + timedelta(seconds=1)))
    assert tokens.current(PROJECT).token == "t"
    tokens.remember(ProjectToken("t", {}, PROJECT, "user", now))
    assert tokens.current(PROJECT) is None


def test_a_keystone_project_without_a_token_never_falls_back_to_cfnapis_own_cloud():
    default = object()
    providers = ProjectProviders(default, ProjectTokens(), "http://keystone/v3", "RegionOne")
    assert providers(ACCOUNT) is default  # cfnapi's own account
    with pytest.raises(CloudError) as caught:
        providers(PROJECT)
    assert caught.value.kind is ErrorKind.FORBIDDEN
