"""A CredentialStore on SQLite, and on PostgreSQL when one is reachable."""

from __future__ import annotations

import uuid

import pytest

from cfnapi.auth.models import AccountRow, CredentialRow
from cfnapi.auth.store import CredentialStore
from cfnapi.db import Base, Database

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AUTH_TABLES = [AccountRow.__table__, CredentialRow.__table__]


def _postgres_admin_connection():
    import psycopg

    return psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=2, autocommit=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'cfnapi.db'}")
        Base.metadata.create_all(db.engine, tables=AUTH_TABLES)
        yield db
        db.dispose()
        return

    try:
        admin = _postgres_admin_connection()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432/test is not reachable ({exc.__class__.__name__}: {exc})")
    # A schema of our own, so concurrent test runs never share tables.
    schema = f"auth_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    db = Database(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        Base.metadata.create_all(db.engine, tables=AUTH_TABLES)
        yield db
    finally:
        db.dispose()
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture
def store(database) -> CredentialStore:
    return CredentialStore(database)
