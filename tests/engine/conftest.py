import json
from dataclasses import dataclass

import pytest

import cfnapi.engine.models  # noqa: F401  (tables on Base)
from cfnapi.db import Base, Database
from cfnapi.engine import api
from cfnapi.engine.runtime import EngineRuntime, EngineSettings
from cfnapi.engine.worker import StackWorker
from cfnapi.translate.testing import SLEEPER_TYPE, SleeperCloud, test_registry
from tests.engine.minitemplate import MiniCompiler


@dataclass(frozen=True)
class Caller:
    account_id: str = "123456789012"
    region: str = "us-east-1"


class Harness:
    """An engine on SQLite in tmp_path, the Sleeper cloud, and a synchronous worker."""

    def __init__(self, tmp_path, compiler=None, db_url=None, **settings):
        """``db_url``: another database (PostgreSQL), migrated as a server would be."""
        self.db = Database(db_url or f"sqlite:///{tmp_path / 'engine.sqlite'}")
        if db_url:
            from cfnapi.db.schema import migrate

            migrate(self.db)
        else:
            Base.metadata.create_all(self.db.engine)
        self.cloud = SleeperCloud()
        defaults = dict(poll_initial_seconds=0.005, poll_max_seconds=0.02, watchdog_seconds=0.01)
        registry = test_registry()
        self.runtime = EngineRuntime(
            self.db,
            registry,
            compiler or MiniCompiler(),
            cloud=self.cloud,
            settings=EngineSettings(**{**defaults, **settings}),
        )
        self.worker = StackWorker(self.runtime)
        self.caller = Caller()

    def call(self, operation, **params):
        return getattr(api, operation)(self.runtime, self.caller, params)

    def create(self, name, resources, outputs=None, **params):
        body = json.dumps({"Resources": resources, **({"Outputs": outputs} if outputs else {})})
        result = self.call("create_stack", StackName=name, TemplateBody=body, **params)
        self.worker.run_until_idle()
        return result["StackId"]

    def update(self, name, resources, **params):
        body = json.dumps({"Resources": resources})
        self.call("update_stack", StackName=name, TemplateBody=body, **params)
        self.worker.run_until_idle()

    def status(self, name):
        return self.call("describe_stacks", StackName=name)["Stacks"][0]["StackStatus"]

    def events(self, name):
        """(logical id, status, reason) oldest first."""
        events = self.call("describe_stack_events", StackName=name)["StackEvents"]
        return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in reversed(events)]

    def resources(self, name):
        rows = self.call("describe_stack_resources", StackName=name)["StackResources"]
        return {r["LogicalResourceId"]: r for r in rows}


def sleeper(**props):
    return {"Type": SLEEPER_TYPE, "Properties": props}


@pytest.fixture
def cfn(tmp_path):
    """The engine with the real template language (``TemplateCompiler``)."""
    from cfnapi.engine.template_binding import TemplateCompiler

    harness = Harness(tmp_path, compiler=TemplateCompiler(test_registry().supported()))
    yield harness
    harness.runtime.shutdown()
    harness.db.dispose()


@pytest.fixture
def engine(tmp_path):
    harness = Harness(tmp_path)
    yield harness
    harness.runtime.shutdown()
    harness.db.dispose()
