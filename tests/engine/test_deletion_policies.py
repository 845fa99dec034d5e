"""DeletionPolicy / UpdateReplacePolicy Snapshot and RetainExceptOnCreate: what is kept,
what is snapshotted first, and the events that say so."""

from cfnapi.engine.deletion_policy import SNAPSHOT_ATTRIBUTE
from cfnapi.engine.records import Recorder, StackRef, load_resources
from tests.engine.conftest import sleeper
from tests.engine.test_takeover import _lease_held_by


def _journal_of(engine, logical_id):
    return [op for op, lid, _ in engine.cloud.journal if lid == logical_id]


def _snapshot_events(events, logical_id):
    return [e for e in events if e[0] == logical_id and e[1].startswith("DELETE_")]


def test_stack_delete_snapshots_then_deletes_and_the_snapshot_remains(engine):
    stack_id = engine.create("snap", {"Data": {**sleeper(), "DeletionPolicy": "Snapshot"}, "Other": sleeper()})
    physical = engine.cloud.existing()["Data"]
    engine.call("delete_stack", StackName="snap")
    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "DELETE_COMPLETE"
    assert _journal_of(engine, "Data") == ["create", "snapshot", "delete"]
    assert "snapshot" not in _journal_of(engine, "Other")
    [(snapshot_id, copied)] = engine.cloud.snapshots.items()
    assert copied == physical and engine.cloud.existing() == {}
    assert _snapshot_events(engine.events(stack_id), "Data") == [
        ("Data", "DELETE_IN_PROGRESS", None),
        ("Data", "DELETE_IN_PROGRESS", f"Creating snapshot {snapshot_id} before deletion (DeletionPolicy Snapshot)"),
        ("Data", "DELETE_COMPLETE", f"Snapshot {snapshot_id} was kept"),
    ]
    described = engine.call("describe_stack_resources", StackName=stack_id)["StackResources"]
    data = next(r for r in described if r["LogicalResourceId"] == "Data")
    assert (data["ResourceStatus"], data.get("ResourceStatusReason")) == (
        "DELETE_COMPLETE", f"Snapshot {snapshot_id} was kept")


def test_a_failed_snapshot_fails_the_delete_and_keeps_the_resource(engine):
    stack_id = engine.create("nosnap", {"Data": {**sleeper(FailOnSnapshot="true"), "DeletionPolicy": "Snapshot"}})
    engine.call("delete_stack", StackName="nosnap")
    engine.worker.run_until_idle()
    assert engine.status(stack_id) == "DELETE_FAILED"
    assert ("Data", "DELETE_FAILED", "Sleeper was told to fail on snapshot") in engine.events(stack_id)
    assert "Data" in engine.cloud.existing()


def test_removal_from_the_template_snapshots_in_the_cleanup(engine):
    engine.create("drop", {"Data": {**sleeper(), "DeletionPolicy": "Snapshot"}, "Keep": sleeper()})
    engine.update("drop", {"Keep": sleeper()})
    assert engine.status("drop") == "UPDATE_COMPLETE"
    assert _journal_of(engine, "Data") == ["create", "snapshot", "delete"]
    assert len(engine.cloud.snapshots) == 1


def test_update_replace_policy_snapshot_keeps_a_copy_of_the_replaced_resource(engine):
    engine.create("rep", {"Data": {**sleeper(ReplaceMe="1"), "UpdateReplacePolicy": "Snapshot"}})
    old = engine.cloud.existing()["Data"]
    engine.update("rep", {"Data": {**sleeper(ReplaceMe="2"), "UpdateReplacePolicy": "Snapshot"}})
    assert engine.status("rep") == "UPDATE_COMPLETE"
    new = engine.cloud.existing()["Data"]
    assert new != old and list(engine.cloud.snapshots.values()) == [old]
    reasons = [e[2] or "" for e in engine.events("rep") if e[0] == "Data"]
    assert any("(UpdateReplacePolicy Snapshot)" in r for r in reasons)

    # Its DeletionPolicy (none: Delete) governs the stack delete: no second snapshot.
    engine.call("delete_stack", StackName="rep")
    engine.worker.run_until_idle()
    assert list(engine.cloud.snapshots.values()) == [old]


def test_a_resumed_snapshot_delete_takes_no_second_snapshot(engine):
    stack_id = engine.create("resume", {"Data": {**sleeper(), "DeletionPolicy": "Snapshot"}})
    engine.call("delete_stack", StackName="resume")
    # The dead worker had started the snapshot and saved its id, then died.
    data = next(r for r in load_resources(engine.db, stack_id) if r.logical_id == "Data")
    data.attributes = {**data.attributes, SNAPSHOT_ATTRIBUTE: "snap-earlier"}
    Recorder(engine.db, StackRef(stack_id, "resume")).resource_status(data, "DELETE_IN_PROGRESS", "Creating snapshot")
    _lease_held_by(engine, stack_id)

    engine.worker.run_until_idle()

    assert engine.status(stack_id) == "DELETE_COMPLETE"
    assert engine.cloud.snapshots == {}  # nothing taken again
    assert ("Data", "DELETE_COMPLETE", "Snapshot snap-earlier was kept") in engine.events(stack_id)


def test_retain_except_on_create_deletes_in_a_create_rollback(engine):
    stack_id = engine.create("rollback", {
        "Kept": {**sleeper(), "DeletionPolicy": "RetainExceptOnCreate"},
        "Bad": {**sleeper(FailOnCreate="true"), "DependsOn": "Kept"},
    })
    assert engine.status(stack_id) == "ROLLBACK_COMPLETE"
    assert ("Kept", "DELETE_COMPLETE", None) in engine.events(stack_id)
    assert engine.cloud.existing() == {}


def test_retain_except_on_create_retains_on_stack_delete(engine):
    stack_id = engine.create("later", {"Kept": {**sleeper(), "DeletionPolicy": "RetainExceptOnCreate"}})
    engine.call("delete_stack", StackName="later")
    engine.worker.run_until_idle()
    assert ("Kept", "DELETE_SKIPPED", None) in engine.events(stack_id)
    assert "Kept" in engine.cloud.existing()


def test_a_snapshot_in_error_fails_the_delete_and_a_retry_takes_a_new_one(engine, monkeypatch):
    from cfnapi.translate.base import ResourceFailure
    from cfnapi.translate.testing import Sleeper

    stack_id = engine.create("err", {"Data": {**sleeper(), "DeletionPolicy": "Snapshot"}})
    broken = set()

    def check(self, ctx, snapshot_id):
        if snapshot_id in broken:
            raise ResourceFailure(f"Snapshot {snapshot_id} went into error status")
        return True

    monkeypatch.setattr(Sleeper, "check_snapshot_complete", check)
    original_snapshot = Sleeper.snapshot

    def snapshot_that_breaks_once(self, ctx, resource):
        snapshot_id = original_snapshot(self, ctx, resource)
        if not broken:
            broken.add(snapshot_id)
        return snapshot_id

    monkeypatch.setattr(Sleeper, "snapshot", snapshot_that_breaks_once)
    engine.call("delete_stack", StackName="err")
    engine.worker.run_until_idle()
    assert engine.status(stack_id) == "DELETE_FAILED"
    [first] = broken
    assert ("Data", "DELETE_FAILED", f"Snapshot {first} went into error status") in engine.events(stack_id)

    engine.call("delete_stack", StackName=stack_id)
    engine.worker.run_until_idle()
    assert engine.status(stack_id) == "DELETE_COMPLETE"
    assert len(engine.cloud.snapshots) == 2 and engine.cloud.existing() == {}
