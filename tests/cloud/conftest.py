import datetime as dt

import pytest

from cfnapi.cloud.sim import SimCloud, load_config, seed
from cfnapi.db import Base, Database

PROJECT = "123456789012"
CIRROS = "6d1a3b2e-8f0c-4b7e-9a51-1c2d3e4f5a01"


class FakeClock:
    def __init__(self):
        self.now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def config():
    return load_config()


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'sim.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def cloud(db, config, clock):
    seed(db, config)
    return SimCloud(db, PROJECT, config, clock=clock)
