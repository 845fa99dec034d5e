"""The Alembic migrations produce exactly the schema the models declare."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cfnapi.db import Database
from cfnapi.db.schema import load_models, migrate


def assert_schema_matches_models(db: Database) -> None:
    migrate(db)
    migrate(db)  # a second start is a no-op
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, load_models().metadata)
    assert differences == [], f"models and migrations disagree; run python -m cfnapi.db.schema MSG: {differences}"


def test_sqlite_migrations_match_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite'}")
    try:
        assert_schema_matches_models(db)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgres_migrations_match_models(postgres_url):
    db = Database(postgres_url)
    try:
        assert_schema_matches_models(db)
    finally:
        db.dispose()
