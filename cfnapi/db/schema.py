"""The whole schema: every package's tables, and migrating a database to it.

Model modules are listed explicitly (no discovery by import side effect) so
Alembic's autogenerate and ``Base.metadata`` always see the same tables.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config

from cfnapi.db import Base, Database

MODEL_MODULES = (
    "cfnapi.auth.models",
    "cfnapi.engine.models",
    "cfnapi.cloud.sim.models",
    "cfnapi.cloudwatch.models",
    "cfnapi.ssm.models",
    "cfnapi.autoscaling.models",
    "cfnapi.sns.models",
)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def load_models() -> type[Base]:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection_engine"] = db.engine
    return config


def migrate(db: Database) -> None:
    """Bring the database to the newest schema (run at every start)."""
    load_models()
    command.upgrade(alembic_config(db), "head")


def new_revision(db: Database, message: str) -> None:
    """Autogenerate a migration from the models (developers: ``python -m cfnapi.db.schema MSG``)."""
    load_models()
    command.revision(alembic_config(db), message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover - developer tool
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Database(f"sqlite:///{tmp}/scratch.sqlite")
        command.upgrade(alembic_config(scratch), "head")
        new_revision(scratch, " ".join(sys.argv[1:]) or "schema change")
