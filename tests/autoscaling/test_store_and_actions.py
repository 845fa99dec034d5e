"""The Auto Scaling store's group lease (one worker per group, also on PostgreSQL)
and the alarm-action callback's account check."""

import datetime as dt

import pytest

from cfnapi.autoscaling.alarm_actions import AutoScalingActions
from cfnapi.autoscaling.models import ScalingPolicyRow
from cfnapi.autoscaling.store import AutoScalingStore, health_action_arn, policy_arn
from cfnapi.cloudwatch.alarms import Transition
from cfnapi.db import Base, Database
from cfnapi.db.schema import load_models

ACCOUNT, OTHER, REGION = "111111111111", "222222222222", "us-east-1"
STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/s/1"


def _database(url: str) -> Database:
    load_models()
    db = Database(url)
    Base.metadata.create_all(db.engine)
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        db = _database(f"sqlite:///{tmp_path / 'asg.sqlite'}")
        yield AutoScalingStore(db)
        db.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    db = _database(url)
    yield AutoScalingStore(db)
    db.dispose()


def _group(store: AutoScalingStore, account: str = ACCOUNT, name: str = "g1"):
    store.create_group(account_id=account, region=REGION, name=name, stack_id=STACK, stack_name="s",
                       logical_id="Group", launch_spec={}, min_size=1, max_size=3, desired=1)
    return store.group(account, REGION, name)


def test_one_worker_holds_a_group_until_it_releases_or_the_lease_expires(store):
    group = _group(store)
    assert store.claim(group.id, "worker-a", 60)
    assert not store.claim(group.id, "worker-b", 60)
    assert store.claim(group.id, "worker-a", 60)  # renewing its own lease
    store.release(group.id, "worker-a")
    assert store.claim(group.id, "worker-b", -1)  # an already-expired lease …
    assert store.claim(group.id, "worker-a", 60)  # … is taken over


def _transition(account: str, arn: str, dimensions=()) -> Transition:
    now = dt.datetime.now(dt.timezone.utc)
    return Transition(account, REGION, "alarm", "arn:alarm", "MetricAlarm", "OK", "ALARM", "crossed",
                      {"threshold": 70.0, "recentDatapoints": [80.0, 90.0]}, now,
                      {"Threshold": 70.0, "Dimensions": list(dimensions)}, now, (arn,))


def test_policy_actions_are_queued_only_from_the_groups_own_account(store):
    group = _group(store)
    arn = policy_arn(REGION, ACCOUNT, "g1", "up")
    store.put_policy(ScalingPolicyRow(arn=arn, account_id=ACCOUNT, region=REGION, group_name="g1", name="up",
                                      definition={"AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 1}))
    woken = []
    actions = AutoScalingActions(store, lambda: woken.append(1))
    actions(arn, _transition(OTHER, arn))  # another account's alarm cannot drive this group
    assert store.requests(group.id) == [] and woken == []
    actions(arn, _transition(ACCOUNT, arn))
    (queued,) = store.requests(group.id)
    assert queued.kind == "policy" and queued.payload["value"] == 90.0 and queued.payload["threshold"] == 70.0
    assert woken == [1]


def test_set_instance_health_needs_the_instance_dimension(store):
    group = _group(store)
    arn = health_action_arn(REGION, ACCOUNT, "g1")
    actions = AutoScalingActions(store)
    actions(arn, _transition(ACCOUNT, arn))
    assert store.requests(group.id) == []
    actions(arn, _transition(ACCOUNT, arn, [{"Name": "InstanceId", "Value": "abc"}]))
    (queued,) = store.requests(group.id)
    assert (queued.kind, queued.payload["instance_id"]) == ("health", "abc")
