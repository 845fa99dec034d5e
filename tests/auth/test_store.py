"""The credential store, on SQLite and PostgreSQL."""

from __future__ import annotations

import configparser
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from cfnapi.auth import Credential, verify_request
from cfnapi.auth.credentials_file import write_shared_credentials_file
from cfnapi.auth.store import AccessKeyConflict, DuplicateAccountName, UnknownAccount
from cfnapi.errors import ServiceError

from .signing import botocore_sigv4

ACCESS_KEY_FORMAT = re.compile(r"^AKIA[A-Z0-9]{16}$")


def test_create_makes_a_new_account_with_aws_shaped_key(store):
    credential = store.create(account_name="team-a", user_name="alice", description="ci")
    assert ACCESS_KEY_FORMAT.match(credential.access_key_id)
    assert len(credential.secret_access_key) == 40
    assert re.fullmatch(r"\d{12}", credential.account_id)
    assert credential.active and credential.user_name == "alice" and credential.description == "ci"
    assert credential.created_at is not None and credential.created_at.tzinfo is not None
    assert store.account_name(credential.account_id) == "team-a"
    assert store.get(credential.access_key_id) == credential


def test_create_in_an_existing_account(store):
    first = store.create()
    second = store.create(account_id=first.account_id, owner_stack_id="arn:stack/s1")
    assert second.account_id == first.account_id
    assert second.owner_stack_id == "arn:stack/s1"
    assert {c.access_key_id for c in store.list(first.account_id)} == {first.access_key_id, second.access_key_id}


def test_each_create_without_account_gets_its_own(store):
    assert store.create().account_id != store.create().account_id


def test_create_in_unknown_account_fails(store):
    with pytest.raises(UnknownAccount):
        store.create(account_id="999999999999")


def test_duplicate_account_name_fails(store):
    store.create(account_name="team-a")
    with pytest.raises(DuplicateAccountName):
        store.create(account_name="team-a")


def test_list_delete_and_get(store):
    a, b = store.create(), store.create()
    assert [c.access_key_id for c in store.list()] == [a.access_key_id, b.access_key_id]
    assert store.delete(a.access_key_id) is True
    assert store.delete(a.access_key_id) is False
    assert store.get(a.access_key_id) is None
    assert [c.access_key_id for c in store.list()] == [b.access_key_id]


def test_delete_owned_by_stack(store):
    owned = store.create(owner_stack_id="stack-1")
    kept = store.create(account_id=owned.account_id)
    assert store.delete_owned_by("stack-1") == 1
    assert store.get(owned.access_key_id) is None and store.get(kept.access_key_id) is not None


def test_inactive_key_no_longer_verifies(store):
    credential = store.create()
    request = botocore_sigv4(access_key=credential.access_key_id, secret=credential.secret_access_key)
    assert verify_request(request, store).account_id == credential.account_id
    assert store.set_active(credential.access_key_id, False) is True
    with pytest.raises(ServiceError) as caught:
        verify_request(request, store)
    assert caught.value.code == "InvalidClientTokenId"


def test_ensure_admin_is_stable_across_restarts(store, database):
    from cfnapi.auth.store import CredentialStore

    first, created = store.ensure_admin()
    assert created is True
    again, created_again = CredentialStore(database).ensure_admin()
    assert (again, created_again) == (first, False)
    assert store.account_name(first.account_id) == "admin"
    assert re.fullmatch(r"\d{12}", first.account_id)  # random, not moto's 000000000000
    assert ACCESS_KEY_FORMAT.match(first.access_key_id)


def test_ensure_admin_with_configured_key_and_secret(store):
    generated, _ = store.ensure_admin()
    configured, created = store.ensure_admin("test", "test")
    assert created is True
    assert (configured.access_key_id, configured.secret_access_key) == ("test", "test")
    assert configured.account_id == generated.account_id
    rotated, created = store.ensure_admin("test", "new-secret")
    assert (rotated.secret_access_key, created) == ("new-secret", False)
    store.set_active("test", False)
    again, _ = store.ensure_admin("test")
    assert again.active  # the operator's configuration wins
    assert again.secret_access_key == "new-secret"


def test_ensure_admin_refuses_someone_elses_key(store):
    other = store.create()
    with pytest.raises(AccessKeyConflict):
        store.ensure_admin(other.access_key_id, "x")


@pytest.mark.parametrize("key, secret", [(None, "s"), ("bad key!", None), ("ok", "")])
def test_ensure_admin_validates_its_arguments(store, key, secret):
    with pytest.raises(ValueError):
        store.ensure_admin(key, secret)


def test_concurrent_first_starts_agree_on_one_admin(store, database):
    if database.is_sqlite:
        pytest.skip("SQLite serialises writers; the race matters on PostgreSQL")
    from cfnapi.auth.store import CredentialStore

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: CredentialStore(database).ensure_admin(), range(4)))
    assert len({credential.access_key_id for credential, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_write_shared_credentials_file(tmp_path, monkeypatch):
    import boto3

    path = tmp_path / "aws" / "credentials"
    path.parent.mkdir()
    path.write_text("[other]\naws_access_key_id = KEEP\naws_secret_access_key = me\n")
    credential = Credential("AKIAABCDEFGHIJKLMNOP", "se%cret/with+odd=chars", "123456789012")
    write_shared_credentials_file(path, credential, profile="cfnapi")

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    parsed = configparser.RawConfigParser()
    parsed.read(path)
    assert parsed.get("other", "aws_access_key_id") == "KEEP"
    assert parsed.get("cfnapi", "aws_secret_access_key") == "se%cret/with+odd=chars"

    # And the SDK reads it back.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    creds = boto3.session.Session(profile_name="cfnapi").get_credentials()
    assert (creds.access_key, creds.secret_key) == (credential.access_key_id, credential.secret_access_key)


def test_write_shared_credentials_file_creates_private_directory(tmp_path):
    path = tmp_path / "new" / "credentials"
    write_shared_credentials_file(path, Credential("AKIAABCDEFGHIJKLMNOP", "s", "123456789012"))
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert "[default]" in path.read_text()
    assert not [p for p in path.parent.iterdir() if p.name != "credentials"]  # no temp file left behind
