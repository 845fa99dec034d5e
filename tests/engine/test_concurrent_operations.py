"""Two requests on one stack at the same time (waitress serves requests on several threads;
several API processes may share PostgreSQL). Each request checks the stack in one transaction
and writes it in another; both are made to read before either writes, and exactly one must win:
the other gets AWS's answer for the stack as the winner left it."""

import json
import threading

import pytest

from cfnapi.engine import stack_ops
from cfnapi.errors import ServiceError
from tests.engine.conftest import Harness, sleeper

BODY = json.dumps({"Resources": {"A": sleeper(Value="1")}})
CHANGED = json.dumps({"Resources": {"A": sleeper(Value="2")}})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    harness = Harness(tmp_path, db_url=url)
    yield harness
    harness.runtime.shutdown()
    harness.db.dispose()


@pytest.fixture
def read_together(monkeypatch):
    """Every thread's first stack lookup waits until all racing threads have read theirs, so
    that all of them pass their checks on the same snapshot (the window a slow template
    compile or a TemplateURL fetch opens anyway)."""
    state = {"barrier": None}
    waited = threading.local()

    def waiting(lookup):
        def wrapper(*args, **kwargs):
            try:
                return lookup(*args, **kwargs)
            finally:
                if state["barrier"] is not None and not getattr(waited, "done", False):
                    waited.done = True
                    state["barrier"].wait(timeout=10)

        return wrapper

    monkeypatch.setattr(stack_ops, "find_stack", waiting(stack_ops.find_stack))
    monkeypatch.setattr(stack_ops, "find_live_stack", waiting(stack_ops.find_live_stack))

    def race(*calls):
        state["barrier"] = threading.Barrier(len(calls))
        results = [None] * len(calls)

        def run(i, call):
            try:
                results[i] = call()
            except ServiceError as error:
                results[i] = error

        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        state["barrier"] = None
        return results

    return race


def live_stacks(h):
    return [(s["StackName"], s["StackStatus"]) for s in h.call("describe_stacks")["Stacks"]]


def test_two_creates_of_one_name_make_one_stack(engine, read_together):
    first, second = read_together(
        lambda: engine.call("create_stack", StackName="dup", TemplateBody=BODY),
        lambda: engine.call("create_stack", StackName="dup", TemplateBody=BODY),
    )
    won = [r for r in (first, second) if isinstance(r, dict)]
    lost = [r for r in (first, second) if isinstance(r, ServiceError)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].code == "AlreadyExistsException" and str(lost[0]) == "Stack [dup] already exists"
    engine.worker.run_until_idle()
    assert live_stacks(engine) == [("dup", "CREATE_COMPLETE")]
    assert engine.call("describe_stacks", StackName="dup")["Stacks"][0]["StackId"] == won[0]["StackId"]


def test_two_creates_with_one_request_token_both_get_the_one_stack(engine, read_together):
    create = lambda: engine.call("create_stack", StackName="dup", TemplateBody=BODY, ClientRequestToken="t-1")  # noqa: E731
    first, second = read_together(create, create)
    assert isinstance(first, dict) and first == second
    engine.worker.run_until_idle()
    assert live_stacks(engine) == [("dup", "CREATE_COMPLETE")]


def test_a_name_is_free_again_once_its_stack_is_deleted(engine):
    engine.create("again", {"A": sleeper()})
    engine.call("delete_stack", StackName="again")
    engine.worker.run_until_idle()
    engine.create("again", {"A": sleeper()})  # the unique index covers live stacks only
    assert live_stacks(engine) == [("again", "CREATE_COMPLETE")]


def test_update_and_delete_at_once_one_is_refused(engine, read_together):
    stack_id = engine.create("u", {"A": sleeper(Value="1")})
    update, delete = read_together(
        lambda: engine.call("update_stack", StackName="u", TemplateBody=CHANGED),
        lambda: engine.call("delete_stack", StackName="u"),
    )
    engine.worker.run_until_idle()
    final = engine.call("describe_stacks", StackName=stack_id)["Stacks"][0]["StackStatus"]
    if isinstance(update, ServiceError):  # the delete won
        assert delete == {}
        assert str(update) == f"Stack:{stack_id} is in DELETE_IN_PROGRESS state and can not be updated."
        assert final == "DELETE_COMPLETE"
    else:  # the update won; the delete was refused, not lost
        assert isinstance(delete, ServiceError)
        assert str(delete) == f"Stack [{stack_id}] cannot be deleted while in status UPDATE_IN_PROGRESS"
        assert final == "UPDATE_COMPLETE"
    stack_events = [e[1] for e in engine.events(stack_id) if e[0] == "u"]
    # Exactly one operation started: one USER_INITIATED stack event after the create's.
    assert stack_events.count("UPDATE_IN_PROGRESS") + stack_events.count("DELETE_IN_PROGRESS") == 1


def test_two_updates_at_once_one_is_refused(engine, read_together):
    stack_id = engine.create("u", {"A": sleeper(Value="1")})
    results = read_together(
        lambda: engine.call("update_stack", StackName="u", TemplateBody=CHANGED),
        lambda: engine.call("update_stack", StackName="u", TemplateBody=CHANGED),
    )
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(refused) == 1
    assert str(refused[0]) == f"Stack:{stack_id} is in UPDATE_IN_PROGRESS state and can not be updated."
    engine.worker.run_until_idle()
    assert [e[1] for e in engine.events("u") if e[0] == "u"].count("UPDATE_IN_PROGRESS") == 1


def test_an_update_that_loses_to_a_delete_changes_nothing(engine, monkeypatch):
    """Deterministic: the delete lands while the update compiles its template (after its checks)."""
    stack_id = engine.create("u", {"A": sleeper(Value="1")})
    compile_for = stack_ops.compile_for

    def delete_meanwhile(*args, **kwargs):
        monkeypatch.setattr(stack_ops, "compile_for", compile_for)
        assert engine.call("delete_stack", StackName="u") == {}
        return compile_for(*args, **kwargs)

    monkeypatch.setattr(stack_ops, "compile_for", delete_meanwhile)
    deny_all = json.dumps({"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "*",
                                          "Resource": "*"}]})
    with pytest.raises(ServiceError) as refused:
        engine.call("update_stack", StackName="u", TemplateBody=CHANGED, StackPolicyBody=deny_all)
    assert str(refused.value) == f"Stack:{stack_id} is in DELETE_IN_PROGRESS state and can not be updated."
    # Nothing of the refused update was written: neither its policy nor its template.
    assert "StackPolicyBody" not in engine.call("get_stack_policy", StackName=stack_id)
    assert engine.call("get_template", StackName=stack_id)["TemplateBody"] == json.dumps(
        {"Resources": {"A": sleeper(Value="1")}})
    engine.worker.run_until_idle()
    assert engine.call("describe_stacks", StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_a_cancel_that_arrives_as_the_update_finishes_is_refused(engine, monkeypatch):
    """CancelUpdateStack read UPDATE_IN_PROGRESS; the update completed before its write."""
    stack_id = engine.create("u", {"A": sleeper(Value="1")})
    engine.call("update_stack", StackName="u", TemplateBody=CHANGED)
    stale = stack_ops.find_live_stack(engine.runtime, engine.caller, "u")
    assert stale.status == "UPDATE_IN_PROGRESS"
    engine.worker.run_until_idle()
    reads = iter([stale])
    fresh_lookup = stack_ops.find_live_stack
    monkeypatch.setattr(stack_ops, "find_live_stack", lambda *a, **k: next(reads, None) or fresh_lookup(*a, **k))
    with pytest.raises(ServiceError, match="CancelUpdateStack cannot be called from current stack status "
                                           "UPDATE_COMPLETE"):
        engine.call("cancel_update_stack", StackName="u")
    assert engine.call("describe_stacks", StackName=stack_id)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_create_stack_and_a_create_change_set_of_one_name_make_one_stack(engine, read_together, monkeypatch):
    from cfnapi.engine import change_sets

    monkeypatch.setattr(change_sets, "find_live_stack", stack_ops.find_live_stack)  # the waiting lookup
    created, change_set = read_together(
        lambda: engine.call("create_stack", StackName="dup", TemplateBody=BODY),
        lambda: engine.call("create_change_set", StackName="dup", ChangeSetName="cs", ChangeSetType="CREATE",
                            TemplateBody=BODY),
    )
    assert [isinstance(r, ServiceError) for r in (created, change_set)].count(True) == 1
    engine.worker.run_until_idle()
    assert len(live_stacks(engine)) == 1
    if isinstance(created, ServiceError):  # the change set's REVIEW_IN_PROGRESS stack won the name
        assert created.code == "AlreadyExistsException"
    else:
        assert "already exists and cannot be created again with the changeSet [cs]" in str(change_set)
