"""Trusts from a Keystone project to cfnapi's service user, without a Keystone:
which trust is usable, the lookup cache, and that a trust wins over a token."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from cfnapi.auth.keystone_ec2 import ProjectToken, ProjectTokens
from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.keystone_projects import ProjectProviders
from cfnapi.cloud.keystone_trusts import ProjectTrusts, Trust, usable_trusts

PROJECT = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def trust(id, project=PROJECT, expires_at=None, remaining_uses=None):
    return SimpleNamespace(id=id, project_id=project, trustor_user_id="u-" + id, expires_at=expires_at,
                           remaining_uses=remaining_uses)


def test_only_unexpired_unlimited_trusts_for_the_project_are_usable():
    found = usable_trusts([
        trust("other-project", project=OTHER),
        trust("expired", expires_at="2026-11-30T00:00:00.000000Z"),
        trust("counted", remaining_uses=3),
        trust("later", expires_at="2027-01-01T00:00:00.000000Z"),
        trust("forever"),
    ], PROJECT, NOW)
    assert [t.id for t in found] == ["forever", "later"]


class FakeIdentity:
    def __init__(self, trusts):
        self.listed, self.trust_list = [], trusts

    def trusts(self, **query):
        self.listed.append(query)
        return iter(self.trust_list)


def project_trusts(trusts, clock):
    service = SimpleNamespace(identity=FakeIdentity(trusts), current_user_id="cfnapi-user")
    return ProjectTrusts(service, "RegionOne", cache_seconds=30, clock=clock), service.identity


def test_trusts_are_looked_up_as_the_trustee_and_cached_for_a_while():
    now = [0.0]
    trusts, identity = project_trusts([trust("t1")], lambda: now[0])
    assert trusts.trust_for(PROJECT) == Trust("t1", PROJECT, "u-t1")
    assert identity.listed == [{"trustee_user_id": "cfnapi-user"}]
    now[0] = 29
    assert trusts.trust_for(PROJECT).id == "t1" and len(identity.listed) == 1
    identity.trust_list = []  # the user deleted the trust
    now[0] = 31
    assert trusts.trust_for(PROJECT) is None and len(identity.listed) == 2


def test_a_failed_trust_lookup_is_a_classified_cloud_error():
    class Down:
        def trusts(self, **query):
            raise ConnectionError("keystone unreachable")

    service = SimpleNamespace(identity=Down(), current_user_id="cfnapi-user")
    with pytest.raises(CloudError):
        ProjectTrusts(service, "RegionOne").trust_for(PROJECT)


class StubTrusts:
    def __init__(self, found):
        self.found, self.connected = found, []

    def trust_for(self, project_id):
        return self.found.get(project_id)

    def connect(self, found):
        self.connected.append(found.id)
        return SimpleNamespace(kind="trust", trust=found.id)


def test_a_trust_wins_over_a_token_and_replaces_the_missing_token_after_a_restart():
    trusts = StubTrusts({PROJECT: Trust("t1", PROJECT, "u")})
    tokens = ProjectTokens(now=lambda: NOW)  # a fresh process: no token remembered
    providers = ProjectProviders(object(), tokens, "http://keystone/v3", "RegionOne", trusts=trusts)
    cloud = providers(PROJECT)
    assert cloud.conn.trust == "t1"
    tokens.remember(ProjectToken("tok", {}, PROJECT, "user", NOW + timedelta(hours=1)))
    assert providers(PROJECT) is cloud and trusts.connected == ["t1"]  # built once, reused


def test_without_trust_or_token_a_keystone_project_is_refused_naming_both_ways_in():
    providers = ProjectProviders(object(), ProjectTokens(), "http://keystone/v3", "RegionOne",
                                 trusts=StubTrusts({}))
    with pytest.raises(CloudError) as caught:
        providers(OTHER)
    assert caught.value.kind is ErrorKind.FORBIDDEN
    assert "no trust" in caught.value.message


class FailingTrusts(StubTrusts):
    def trust_for(self, project_id):
        raise CloudError(ErrorKind.UNAVAILABLE, "keystone unreachable")


def test_a_failed_trust_lookup_falls_back_to_the_token_and_is_reported_without_one():
    tokens = ProjectTokens(now=lambda: NOW)
    providers = ProjectProviders(object(), tokens, "http://keystone/v3", "RegionOne", trusts=FailingTrusts({}))
    with pytest.raises(CloudError) as caught:
        providers(PROJECT)
    assert caught.value.kind is ErrorKind.UNAVAILABLE  # retried by the engine, not a refusal
    tokens.remember(ProjectToken("tok", {"token": {}}, PROJECT, "user", NOW + timedelta(hours=1)))
    built = []
    providers._cloud = lambda account, basis, connect: built.append(basis) or "cloud"
    assert providers(PROJECT) == "cloud" and built == ["token:tok"]
