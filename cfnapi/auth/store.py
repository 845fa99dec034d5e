"""The credential store: accounts and access keys in the shared database.

``CredentialStore.get`` is the ``CredentialLookup`` the request verifier uses.
It runs for every request, so found keys are cached for a short time
(``CREDENTIAL_CACHE_TTL_SECONDS``). Every write through the store empties the
cache of its own process at once. With several processes on one database
(``cfnapi api`` beside ``cfnapi worker``, or ``cfnapi credentials delete``
while a server runs), another process's cache still accepts a deleted or
deactivated key — or an old admin secret — for up to the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cfnapi.auth.credential import Credential
from cfnapi.auth.keys import ACCESS_KEY_ID_PATTERN, new_access_key_id, new_account_id, new_secret_access_key
from cfnapi.auth.models import AccountRow, CredentialRow
from cfnapi.db import Database

ADMIN_ACCOUNT_NAME = "admin"
_CREATE_ATTEMPTS = 5  # random ids collide only by astronomical bad luck, or a concurrent first start
CREDENTIAL_CACHE_TTL_SECONDS = 30.0
_CREDENTIAL_CACHE_MAX_ENTRIES = 10_000  # one per active key in use; bounds memory whatever callers send


class CredentialStoreError(Exception):
    """A request the store cannot satisfy; the message is meant for the operator."""


class UnknownAccount(CredentialStoreError, LookupError):
    pass


class DuplicateAccountName(CredentialStoreError, ValueError):
    pass


class AccessKeyConflict(CredentialStoreError, ValueError):
    pass


class AdminCredential(NamedTuple):
    """``ensure_admin``'s answer: the key, and whether this call created it
    (so that first start alone writes it to a credentials file)."""

    credential: Credential
    created: bool


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _to_credential(row: CredentialRow) -> Credential:
    return Credential(
        access_key_id=row.access_key_id,
        secret_access_key=row.secret_access_key,
        account_id=row.account_id,
        active=row.active,
        user_name=row.user_name,
        description=row.description or "",
        created_at=_aware(row.created_at),
        owner_stack_id=row.owner_stack_id,
    )


class _CredentialCache:
    """Found credentials for ``ttl`` seconds. Unknown keys are not cached: a key
    created by another process (``cfnapi credentials create``) works at once."""

    def __init__(self, ttl: float, clock: Callable[[], float]):
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, tuple[float, Credential]] = {}
        self._lock = threading.Lock()

    def get(self, access_key_id: str) -> Credential | None:
        with self._lock:
            entry = self._entries.get(access_key_id)
            if entry is None:
                return None
            if self.clock() >= entry[0]:
                del self._entries[access_key_id]
                return None
            return entry[1]

    def put(self, credential: Credential) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= _CREDENTIAL_CACHE_MAX_ENTRIES:
                self._entries.clear()
            self._entries[credential.access_key_id] = (self.clock() + self.ttl, credential)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class CredentialStore:
    def __init__(
        self,
        db: Database,
        *,
        cache_ttl_seconds: float = CREDENTIAL_CACHE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.db = db
        self._cache = _CredentialCache(cache_ttl_seconds, clock)

    # --- reads ---------------------------------------------------------------

    def get(self, access_key_id: str) -> Credential | None:
        cached = self._cache.get(access_key_id)
        if cached is not None:
            return cached
        with self.db.transaction() as session:
            row = session.get(CredentialRow, access_key_id)
            credential = _to_credential(row) if row else None
        if credential is not None:
            self._cache.put(credential)
        return credential

    def list(self, account_id: str | None = None) -> list[Credential]:
        query = select(CredentialRow).order_by(CredentialRow.created_at, CredentialRow.access_key_id)
        if account_id is not None:
            query = query.where(CredentialRow.account_id == account_id)
        with self.db.transaction() as session:
            return [_to_credential(row) for row in session.scalars(query)]

    def account_name(self, account_id: str) -> str | None:
        with self.db.transaction() as session:
            row = session.get(AccountRow, account_id)
            return row.name if row else None

    # --- writes --------------------------------------------------------------

    def create(
        self,
        account_id: str | None = None,
        account_name: str | None = None,
        user_name: str | None = None,
        description: str = "",
        owner_stack_id: str | None = None,
    ) -> Credential:
        """A new key pair, in ``account_id`` or — when none is given — in a new account."""
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                with self.db.transaction() as session:
                    if account_id is None:
                        account = self._new_account(session, account_name)
                    else:
                        account = session.get(AccountRow, account_id)
                        if account is None:
                            raise UnknownAccount(f"Account {account_id} does not exist.")
                    return self._add_key(
                        session, account.id, new_access_key_id(), new_secret_access_key(),
                        user_name=user_name, description=description, owner_stack_id=owner_stack_id,
                    )
            except IntegrityError:
                if account_name is not None and self._account_named(account_name) is not None:
                    raise DuplicateAccountName(f"An account named {account_name!r} already exists.") from None
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def delete(self, access_key_id: str) -> bool:
        """Delete a key; False when there was none (deleting twice is not an error)."""
        try:
            with self.db.transaction() as session:
                result = session.execute(delete(CredentialRow).where(CredentialRow.access_key_id == access_key_id))
                return result.rowcount > 0
        finally:
            self._cache.clear()  # after the commit, so no reader re-caches the old row

    def delete_owned_by(self, owner_stack_id: str) -> int:
        """Delete every key an AWS::IAM::AccessKey of this stack created."""
        try:
            with self.db.transaction() as session:
                result = session.execute(delete(CredentialRow).where(CredentialRow.owner_stack_id == owner_stack_id))
                return result.rowcount
        finally:
            self._cache.clear()  # after the commit, so no reader re-caches the old row

    def set_active(self, access_key_id: str, active: bool) -> bool:
        """IAM's Active/Inactive status; False when the key does not exist."""
        try:
            with self.db.transaction() as session:
                result = session.execute(
                    update(CredentialRow).where(CredentialRow.access_key_id == access_key_id).values(active=active)
                )
                return result.rowcount > 0
        finally:
            self._cache.clear()  # after the commit, so no reader re-caches the old row

    def ensure_admin(self, access_key_id: str | None = None, secret: str | None = None) -> AdminCredential:
        """The administrator's key, creating the admin account and key on first start.

        With no arguments: the admin account's oldest active key, or a new one.
        With a configured ``access_key_id`` (and optionally ``secret``): that key
        exists in the admin account, active, with that secret — the operator's
        configuration wins over what is stored. Several processes starting at
        once on PostgreSQL agree on one admin account (its name is unique).
        """
        if secret is not None and access_key_id is None:
            raise ValueError("An admin secret needs its access key id.")
        if access_key_id is not None and not ACCESS_KEY_ID_PATTERN.match(access_key_id):
            raise ValueError(f"Access key id {access_key_id!r} must be 1-128 letters, digits or underscores.")
        if secret is not None and not 0 < len(secret) <= 128:
            raise ValueError("An admin secret must be 1-128 characters.")
        try:
            return self._ensure_admin(access_key_id, secret)
        finally:
            self._cache.clear()  # a configured secret may replace a cached one

    def _ensure_admin(self, access_key_id: str | None, secret: str | None) -> AdminCredential:
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                with self.db.transaction() as session:
                    # The row lock makes concurrent first starts on PostgreSQL
                    # agree on one admin key (SQLite serialises writers anyway).
                    account = session.scalars(
                        select(AccountRow).where(AccountRow.name == ADMIN_ACCOUNT_NAME).with_for_update()
                    ).first()
                    if account is None:
                        account = self._new_account(session, ADMIN_ACCOUNT_NAME)
                    if access_key_id is None:
                        return self._first_active_key(session, account.id)
                    return self._configured_key(session, account.id, access_key_id, secret)
            except IntegrityError:
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    # --- helpers -------------------------------------------------------------

    def _account_named(self, name: str) -> AccountRow | None:
        with self.db.transaction() as session:
            return session.scalars(select(AccountRow).where(AccountRow.name == name)).first()

    def _new_account(self, session: Session, name: str | None) -> AccountRow:
        account_id = new_account_id()
        account = AccountRow(id=account_id, name=name or f"account-{account_id}", created_at=_utcnow())
        session.add(account)
        session.flush()  # surface a duplicate id or name now, inside the retry
        return account

    def _add_key(self, session: Session, account_id: str, access_key_id: str, secret: str, **extra) -> Credential:
        row = CredentialRow(
            access_key_id=access_key_id,
            secret_access_key=secret,
            account_id=account_id,
            active=True,
            created_at=_utcnow(),
            user_name=extra.get("user_name"),
            description=extra.get("description") or "",
            owner_stack_id=extra.get("owner_stack_id"),
        )
        session.add(row)
        session.flush()
        return _to_credential(row)

    def _first_active_key(self, session: Session, account_id: str) -> AdminCredential:
        row = session.scalars(
            select(CredentialRow)
            .where(CredentialRow.account_id == account_id, CredentialRow.active.is_(True))
            .order_by(CredentialRow.created_at, CredentialRow.access_key_id)
        ).first()
        if row is not None:
            return AdminCredential(_to_credential(row), created=False)
        credential = self._add_key(
            session, account_id, new_access_key_id(), new_secret_access_key(), description="administrator"
        )
        return AdminCredential(credential, created=True)

    def _configured_key(
        self, session: Session, account_id: str, access_key_id: str, secret: str | None
    ) -> AdminCredential:
        row = session.get(CredentialRow, access_key_id)
        if row is None:
            credential = self._add_key(
                session, account_id, access_key_id, secret or new_secret_access_key(), description="administrator"
            )
            return AdminCredential(credential, created=True)
        if row.account_id != account_id:
            raise AccessKeyConflict(
                f"Access key {access_key_id} belongs to account {row.account_id}, not to the admin account."
            )
        if secret is not None:
            row.secret_access_key = secret
        row.active = True
        session.flush()
        return AdminCredential(_to_credential(row), created=False)
