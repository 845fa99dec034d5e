"""A worker that died mid-operation: its lease expires (or, on SQLite, the next process starts) and
another worker takes the stack over: a create is resumed without creating anything twice, an update
is failed and rolled back, a delete resumed; a worker that lost its lease writes nothing more."""

import datetime as dt
import json

from sqlalchemy import update

from cfnapi.engine import statuses as st
from cfnapi.engine.models import StackRow
from cfnapi.engine.records import Recorder, ResourceRecord, StackRef, load_resources
from cfnapi.translate.base import ResourceContext
from cfnapi.translate.testing import SLEEPER_TYPE, Sleeper
from tests.engine.conftest import sleeper


def _dead_worker_started_creating(engine, stack_name, body, **props):
    """What a dead worker got done: A's create call returned and its id was persisted."""
    stack_id = engine.call("create_stack", StackName=stack_name, TemplateBody=body)["StackId"]
    ctx = ResourceContext("123456789012", "us-east-1", stack_id, stack_name, "A", cloud=engine.cloud)
    physical = Sleeper().create(ctx, props)
    record = ResourceRecord("A", SLEEPER_TYPE, physical_id=physical, properties=props)
    Recorder(engine.db, StackRef(stack_id, stack_name)).resource_status(
        record, "CREATE_IN_PROGRESS", st.CREATE_INITIATED)
    _lease_held_by(engine, stack_id)
    return stack_id, physical


def creates_of(engine, logical_id):
    return [entry for entry in engine.cloud.journal if entry[:2] == ("create", logical_id)]


def test_interrupted_create_is_resumed_by_the_next_worker(engine):
    body = json.dumps({"Resources": {"A": sleeper(), "B": sleeper()}})
    stack_id, physical = _dead_worker_started_creating(engine, "crash", body)

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "CREATE_COMPLETE"
    events = engine.events(stack_id)
    assert ("crash", "CREATE_IN_PROGRESS", st.OPERATION_RESUMED) in events
    assert ("A", "CREATE_IN_PROGRESS", st.CREATE_RESUMED) in events
    assert engine.resources("crash")["A"]["PhysicalResourceId"] == physical
    assert len(creates_of(engine, "A")) == 1  # waited for, not created again
    assert set(engine.cloud.existing()) == {"A", "B"}


def test_a_resumed_create_that_fails_rolls_back_leaving_nothing(engine):
    body = json.dumps({"Resources": {"A": sleeper(FailOnCreate="true")}})
    stack_id, _ = _dead_worker_started_creating(engine, "doomed", body, FailOnCreate="true")

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "ROLLBACK_COMPLETE"
    assert ("doomed", "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [A]. Rollback requested by user.") in engine.events(stack_id)
    assert engine.cloud.existing() == {}  # the resource the dead worker created was not forgotten


def test_a_live_lease_is_not_taken_over(engine):
    body = json.dumps({"Resources": {"A": sleeper()}})
    stack_id = engine.call("create_stack", StackName="busy", TemplateBody=body)["StackId"]
    with engine.db.transaction() as session:
        future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
        session.execute(
            update(StackRow).where(StackRow.stack_id == stack_id).values(lease_owner="other", lease_expires_at=future)
        )
    assert engine.worker.claim(10) == []
    assert engine.status(stack_id) == "CREATE_IN_PROGRESS"


def test_background_worker_picks_up_new_stacks(engine):
    import time

    engine.worker.start()
    try:
        body = json.dumps({"Resources": {"A": sleeper(), "B": sleeper(Inputs={"Ref": "A"})}})
        stack_id = engine.call("create_stack", StackName="bg", TemplateBody=body)["StackId"]
        engine.worker.wake()
        for _ in range(500):  # a bounded wait for a terminal status, not a timing assertion
            if engine.status(stack_id) not in st.IN_PROGRESS:
                break
            time.sleep(0.01)
        assert engine.status(stack_id) == "CREATE_COMPLETE"
    finally:
        engine.worker.stop()


def _lease_held_by(engine, stack_id, owner="dead-worker", expires_in=dt.timedelta(seconds=-5)):
    with engine.db.transaction() as session:
        session.execute(
            update(StackRow)
            .where(StackRow.stack_id == stack_id)
            .values(lease_owner=owner, lease_expires_at=dt.datetime.now(dt.timezone.utc) + expires_in)
        )


def test_create_interrupted_between_two_resources_finishes_the_rest(engine):
    # The dead worker finished A and died before starting B: nothing was in flight.
    stack_id = engine.create("between", {"A": sleeper()})
    body = json.dumps({"Resources": {"A": sleeper(), "B": sleeper(Inputs={"Ref": "A"})}})
    with engine.db.transaction() as session:
        session.execute(
            update(StackRow).where(StackRow.stack_id == stack_id).values(
                status="CREATE_IN_PROGRESS", template_body=body, needs_work=True)
        )
    _lease_held_by(engine, stack_id)

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "CREATE_COMPLETE"
    assert len(creates_of(engine, "A")) == 1
    assert set(engine.cloud.existing()) == {"A", "B"}


def test_interrupted_delete_is_resumed_with_an_event_saying_so(engine):
    stack_id = engine.create("gone", {"A": sleeper(), "B": sleeper(Inputs={"Ref": "A"})})
    engine.call("delete_stack", StackName="gone")
    # The dead worker had started deleting B (event written, provider call maybe made).
    b = next(r for r in load_resources(engine.db, stack_id) if r.logical_id == "B")
    Recorder(engine.db, StackRef(stack_id, "gone")).resource_status(b, "DELETE_IN_PROGRESS")
    _lease_held_by(engine, stack_id)

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "DELETE_COMPLETE"
    events = engine.events(stack_id)
    assert ("gone", "DELETE_IN_PROGRESS", st.OPERATION_RESUMED) in events
    assert [e[:2] for e in events if e[0] == "B"][-1] == ("B", "DELETE_COMPLETE")
    assert engine.cloud.existing() == {}


def test_on_sqlite_a_starting_worker_takes_over_leases_at_once(engine):
    # SQLite is single-process: a lease found at start was held by a process that is gone,
    # however far in the future it would expire.
    body = json.dumps({"Resources": {"A": sleeper()}})
    stack_id = engine.call("create_stack", StackName="restart", TemplateBody=body)["StackId"]
    _lease_held_by(engine, stack_id, expires_in=dt.timedelta(minutes=5))
    assert engine.worker.claim(10) == []

    assert engine.worker.expire_leases_of_dead_processes() == 1

    assert engine.worker.claim(10) == [(stack_id, True)]


def test_a_worker_that_lost_its_lease_writes_nothing_more(engine):
    # A worker paused past its lease while another took the stack over must not write over the
    # new owner's work, not even the "cancelled" event of the resource it was waiting for.
    import threading

    body = json.dumps({"Resources": {"A": sleeper(CreateDelay=300)}})
    stack_id = engine.call("create_stack", StackName="fenced", TemplateBody=body)["StackId"]
    [(claimed, _)] = engine.worker.claim(1)
    runner = threading.Thread(target=engine.worker.process, args=(claimed,))
    runner.start()
    for _ in range(2000):  # bounded wait until A's create was initiated
        if ("A", "CREATE_IN_PROGRESS", st.CREATE_INITIATED) in engine.events(stack_id):
            break
        runner.join(0.005)
    events_before = engine.events(stack_id)
    assert ("A", "CREATE_IN_PROGRESS", st.CREATE_INITIATED) in events_before
    _lease_held_by(engine, stack_id, "new-owner", expires_in=dt.timedelta(minutes=5))

    runner.join(30)

    assert not runner.is_alive()
    assert engine.events(stack_id) == events_before
    assert engine.status(stack_id) == "CREATE_IN_PROGRESS"
    with engine.db.transaction() as session:
        assert session.get(StackRow, stack_id).lease_owner == "new-owner"


def test_a_create_whose_physical_id_was_never_saved_is_found_not_made_again(engine):
    # The dead worker saved A's creation token with "CREATE_IN_PROGRESS", made the provider call,
    # and died before it could save the physical id the call returned.
    body = json.dumps({"Resources": {"A": sleeper()}})
    stack_id = engine.call("create_stack", StackName="unsaved", TemplateBody=body)["StackId"]
    record = ResourceRecord("A", SLEEPER_TYPE, creation_token="0123456789ab")
    Recorder(engine.db, StackRef(stack_id, "unsaved")).resource_status(record, "CREATE_IN_PROGRESS")
    ctx = ResourceContext("123456789012", "us-east-1", stack_id, "unsaved", "A", cloud=engine.cloud,
                          creation_token="0123456789ab")
    made = Sleeper().create(ctx, {})
    _lease_held_by(engine, stack_id)

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "CREATE_COMPLETE"
    assert engine.cloud.existing() == {"A": made}  # adopted: no second Sleeper
    assert engine.resources("unsaved")["A"]["PhysicalResourceId"] == made


def test_a_create_interrupted_before_its_provider_call_is_made_then(engine):
    body = json.dumps({"Resources": {"A": sleeper()}})
    stack_id = engine.call("create_stack", StackName="early", TemplateBody=body)["StackId"]
    record = ResourceRecord("A", SLEEPER_TYPE, creation_token="0123456789ab")
    Recorder(engine.db, StackRef(stack_id, "early")).resource_status(record, "CREATE_IN_PROGRESS")
    _lease_held_by(engine, stack_id)

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "CREATE_COMPLETE"
    assert len(creates_of(engine, "A")) == 1


def test_an_update_whose_replacement_id_was_never_saved_rolls_back_and_deletes_it(engine):
    import dataclasses

    stack_id = engine.create("swap", {"A": sleeper(ReplaceMe="1")})
    engine.call("update_stack", StackName="swap", TemplateBody=json.dumps({"Resources": {"A": sleeper(ReplaceMe="2")}}))
    # What the dead worker wrote before the replacement's provider call (as resource_actions.replace
    # does), then the call itself, whose id it never saved.
    [current] = load_resources(engine.db, stack_id)
    original = current.physical_id
    old = dataclasses.replace(current, role="replaced", row_id=None, update_action=None)
    current.previous_properties, current.previous_attributes = current.properties, current.attributes
    current.update_action, current.creation_token = "replaced", "0123456789ab"
    current.properties, current.physical_id, current.attributes = {"ReplaceMe": "2"}, None, {}
    Recorder(engine.db, StackRef(stack_id, "swap")).resource_status(
        current, "UPDATE_IN_PROGRESS", st.REPLACEMENT_INITIATED, also_save=(old,))
    ctx = ResourceContext("123456789012", "us-east-1", stack_id, "swap", "A", cloud=engine.cloud,
                          creation_token="0123456789ab")
    Sleeper().create(ctx, {"ReplaceMe": "2"})
    _lease_held_by(engine, stack_id)

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "UPDATE_ROLLBACK_COMPLETE"
    assert ("A", "UPDATE_FAILED", st.INTERRUPTED) in engine.events(stack_id)
    assert ("swap", "UPDATE_ROLLBACK_IN_PROGRESS", st.update_interrupted(["A"])) in engine.events(stack_id)
    assert engine.cloud.existing() == {"A": original}  # the unsaved replacement was found and deleted
    assert engine.resources("swap")["A"]["PhysicalResourceId"] == original


def test_an_update_interrupted_with_nothing_in_flight_still_rolls_back(engine):
    stack_id = engine.create("calm", {"A": sleeper(Value="1")})
    engine.call("update_stack", StackName="calm", TemplateBody=json.dumps({"Resources": {"A": sleeper(Value="2")}}))
    _lease_held_by(engine, stack_id)  # the worker that claimed it died before touching anything

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "UPDATE_ROLLBACK_COMPLETE"
    assert ("calm", "UPDATE_ROLLBACK_IN_PROGRESS", st.UPDATE_NOT_RESUMED) in engine.events(stack_id)
    assert engine.resources("calm")["A"]["ResourceStatus"] == "CREATE_COMPLETE"
    assert json.loads(engine.call("get_template", StackName="calm")["TemplateBody"]) == {
        "Resources": {"A": sleeper(Value="1")}}
