"""The credential store's short cache: fewer database reads, writes seen at once in-process."""

from __future__ import annotations

import pytest

from cfnapi.auth import CredentialStore
from cfnapi.auth.store import CREDENTIAL_CACHE_TTL_SECONDS


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cached(database, clock) -> CredentialStore:
    return CredentialStore(database, clock=clock)


@pytest.fixture
def other_process(database) -> CredentialStore:
    """A second store on the same database stands for another process."""
    return CredentialStore(database, cache_ttl_seconds=0)


def test_found_key_is_served_from_the_cache_until_the_ttl_passes(cached, other_process, clock):
    credential = other_process.create()
    assert cached.get(credential.access_key_id) == credential
    other_process.delete(credential.access_key_id)
    # Another process's delete is not seen before the TTL (the documented trade-off) …
    clock.now += CREDENTIAL_CACHE_TTL_SECONDS - 1
    assert cached.get(credential.access_key_id) == credential
    # … and is seen once it has passed.
    clock.now += 1
    assert cached.get(credential.access_key_id) is None


def test_the_cache_spares_the_database(cached, other_process, database, monkeypatch):
    credential = other_process.create()
    assert cached.get(credential.access_key_id) == credential
    monkeypatch.setattr(database, "transaction", lambda: pytest.fail("the database was read"))
    for _ in range(3):
        assert cached.get(credential.access_key_id) == credential


@pytest.mark.parametrize(
    "write",
    [
        lambda store, key: store.delete(key),
        lambda store, key: store.set_active(key, False),
        lambda store, key: store.delete_owned_by("arn:stack/owner"),
    ],
    ids=["delete", "deactivate", "delete_owned_by"],
)
def test_writes_through_the_store_invalidate_at_once(cached, write):
    credential = cached.create(owner_stack_id="arn:stack/owner")
    assert cached.get(credential.access_key_id).active
    write(cached, credential.access_key_id)
    after = cached.get(credential.access_key_id)
    assert after is None or after.active is False


def test_admin_secret_change_invalidates(cached):
    cached.ensure_admin("ADMINKEY", "old-secret")
    assert cached.get("ADMINKEY").secret_access_key == "old-secret"
    cached.ensure_admin("ADMINKEY", "new-secret")
    assert cached.get("ADMINKEY").secret_access_key == "new-secret"


def test_unknown_keys_are_not_cached(cached, other_process):
    assert cached.get("LATERKEY") is None
    other_process.ensure_admin("LATERKEY", "secret")  # e.g. `cfnapi credentials create` elsewhere
    assert cached.get("LATERKEY").secret_access_key == "secret"


def test_zero_ttl_disables_the_cache(database, other_process):
    uncached = CredentialStore(database, cache_ttl_seconds=0)
    credential = other_process.create()
    assert uncached.get(credential.access_key_id) == credential
    other_process.delete(credential.access_key_id)
    assert uncached.get(credential.access_key_id) is None


def test_server_setting_defaults_to_the_stores_ttl_and_reads_the_environment(monkeypatch):
    from cfnapi.config import CREDENTIAL_CACHE_SECONDS, Settings

    assert CREDENTIAL_CACHE_SECONDS == CREDENTIAL_CACHE_TTL_SECONDS
    monkeypatch.delenv("CFNAPI_CREDENTIAL_CACHE_SECONDS", raising=False)
    assert Settings().credential_cache_seconds == CREDENTIAL_CACHE_TTL_SECONDS
    monkeypatch.setenv("CFNAPI_CREDENTIAL_CACHE_SECONDS", "0")
    assert Settings().credential_cache_seconds == 0
