"""Alembic environment: runs on the engine cfnapi hands it, online only."""

from __future__ import annotations

from alembic import context
from sqlalchemy.types import TypeDecorator

from cfnapi.db.schema import load_models

config = context.config
target_metadata = load_models().metadata
engine = config.attributes["connection_engine"]


def render_item(kind, obj, autogen_context):
    """Write a model's TypeDecorator as the plain type it stores, so migrations
    never import model code (which changes) to describe columns (which must not)."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
