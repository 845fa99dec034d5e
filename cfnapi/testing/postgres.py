"""A throwaway PostgreSQL schema for a test, or a clear skip when no server is reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("CFNAPI_TEST_POSTGRES_URL", DEFAULT_URL)


@contextmanager
def scratch_schema_url() -> Iterator[str]:
    """Yield a URL whose connections use a fresh schema; drop it afterwards.

    Raises ``RuntimeError`` when the server is unreachable (callers skip)."""
    import sqlalchemy as sa

    base = postgres_url()
    engine = sa.create_engine(base)
    schema = f"cfnapi_test_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise RuntimeError(f"PostgreSQL not reachable at {base}: {exc.orig}") from exc
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
