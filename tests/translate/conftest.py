"""Resource types driven directly against the sim cloud on SQLite, with a fake clock."""

import datetime as dt

import pytest

import cfnapi.ssm.models  # noqa: F401  (not in cfnapi.db.schema.MODEL_MODULES yet)
from cfnapi.auth.store import CredentialStore
from cfnapi.autoscaling.store import AutoScalingStore
from cfnapi.cloudwatch.alarms import AlarmStore
from cfnapi.cloud.services import CloudServices
from cfnapi.cloud.sim import SimCloud, load_config, seed
from cfnapi.db import Base, Database
from cfnapi.db.schema import load_models
from cfnapi.sns import TopicStore
from cfnapi.ssm import ParameterStore
from cfnapi.translate.base import ResourceContext, ResourceState

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/web/11111111-2222-3333-4444-555555555555"


class FakeClock:
    def __init__(self):
        self.now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class World:
    """The sim cloud, cfnapi's stores, and helpers to drive one type through its life."""

    def __init__(self, db, config, clock):
        self.db, self.config, self.clock = db, config, clock
        self.credentials = CredentialStore(db)
        self.parameters = ParameterStore(db)
        self.alarms = AlarmStore(db)
        self.autoscaling = AutoScalingStore(db)
        self.topics = TopicStore(db)
        self.services = CloudServices(
            provider_for=lambda project: SimCloud(db, project, config, clock=clock),
            credentials=self.credentials, parameters=self.parameters, alarms=self.alarms,
            autoscaling=self.autoscaling, topics=self.topics,
        )
        self.cloud = SimCloud(db, ACCOUNT, config, clock=clock)

    def ctx(self, logical_id: str = "Res") -> ResourceContext:
        return ResourceContext(ACCOUNT, REGION, STACK_ID, "web", logical_id, cloud=self.services)

    def state(self, logical_id, physical_id, props, attributes=None) -> ResourceState:
        return ResourceState(logical_id, physical_id, props, attributes or {})

    def create(self, handler, props, logical_id="Res", settle_seconds=5.0) -> ResourceState:
        """create + poll to complete (advancing the fake clock), then read attributes."""
        ctx = self.ctx(logical_id)
        physical_id = handler.create(ctx, props)
        state = self.state(logical_id, physical_id, props)
        for _ in range(10):
            if handler.check_create_complete(ctx, state):
                break
            self.clock.advance(settle_seconds)
        else:
            raise AssertionError(f"{logical_id} never completed")
        return self.state(logical_id, physical_id, props, handler.attributes(ctx, state))

    def delete(self, handler, state) -> None:
        ctx = self.ctx(state.logical_id)
        handler.delete(ctx, state)
        assert handler.check_delete_complete(ctx, state)


@pytest.fixture
def world(tmp_path):
    load_models()
    db = Database(f"sqlite:///{tmp_path / 'translate.sqlite'}")
    Base.metadata.create_all(db.engine)
    config = load_config()
    seed(db, config)
    yield World(db, config, FakeClock())
    db.dispose()
