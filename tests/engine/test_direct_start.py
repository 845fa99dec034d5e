"""CreateStack hands a new stack straight to this process's worker (leased in the same
insert) instead of waiting for the worker's claim loop, when the worker has room."""

import json
import time

from sqlalchemy import select

from cfnapi.engine.models import StackRow


def _wire(harness):
    worker = harness.worker
    harness.runtime.lease_new_stack, harness.runtime.start_leased = worker.lease_new_stack, worker.start_leased
    harness.runtime.work_queued = worker.wake


def _wait_for(harness, name, status, timeout=10.0):
    deadline = time.monotonic() + timeout
    while harness.status(name) != status:
        assert time.monotonic() < deadline, harness.status(name)
        time.sleep(0.01)


def test_create_stack_starts_the_stack_leased_without_the_claim_loop(cfn, monkeypatch):
    _wire(cfn)
    claimed, leased_at_start = [], []
    real_claim, real_start = cfn.worker.claim, cfn.worker.start_leased

    def recording_claim(limit):
        rows = real_claim(limit)
        claimed.extend(stack_id for stack_id, _ in rows)
        return rows

    def recording_start(stack_id):
        with cfn.db.read_transaction() as session:
            leased_at_start.append(session.scalar(select(StackRow.lease_owner).where(StackRow.stack_id == stack_id)))
        real_start(stack_id)

    monkeypatch.setattr(cfn.worker, "claim", recording_claim)
    monkeypatch.setattr(cfn.worker, "start_leased", recording_start)
    cfn.runtime.start_leased = cfn.worker.start_leased
    cfn.worker.start()
    try:
        body = json.dumps({"Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
        stack_id = cfn.call("create_stack", StackName="direct", TemplateBody=body)["StackId"]
        _wait_for(cfn, "direct", "CREATE_COMPLETE")
    finally:
        cfn.worker.stop()
    assert leased_at_start == [cfn.runtime.worker_id]  # committed already leased to this worker
    assert stack_id not in claimed
    with cfn.db.read_transaction() as session:
        assert session.get(StackRow, stack_id).lease_owner is None  # released when done, as after a claim


def test_a_worker_without_a_free_stack_thread_or_stopped_leases_nothing(engine):
    worker = engine.worker
    assert worker.lease_new_stack() is None  # not started
    worker.start()
    try:
        assert worker.lease_new_stack() is not None
        for i in range(engine.runtime.settings.stack_threads):
            worker._active.add(f"busy-{i}")
        assert worker.lease_new_stack() is None  # the claim loop takes the stack when a thread frees
        worker._active.clear()
    finally:
        worker.stop()
    assert worker.lease_new_stack() is None


def test_with_no_room_the_create_goes_through_the_claim_loop(cfn):
    _wire(cfn)
    cfn.worker.start()
    try:
        for i in range(cfn.runtime.settings.stack_threads):
            cfn.worker._active.add(f"busy-{i}")
        body = json.dumps({"Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
        stack_id = cfn.call("create_stack", StackName="queued", TemplateBody=body)["StackId"]
        with cfn.db.read_transaction() as session:
            assert session.get(StackRow, stack_id).lease_owner is None  # left for a claim
        assert cfn.status("queued") == "CREATE_IN_PROGRESS"
        cfn.worker._active.clear()
        cfn.worker.wake()
        _wait_for(cfn, "queued", "CREATE_COMPLETE")
    finally:
        cfn.worker.stop()
