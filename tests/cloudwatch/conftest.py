import pytest

from cfnapi.cloudwatch import models  # noqa: F401  (registers the tables on Base)
from cfnapi.db import Base, Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'cw.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()
