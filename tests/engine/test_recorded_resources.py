"""The lookup record-only types check AWS's cross-resource rules with
(``ResourceContext.recorded_resources``): the account's resources of a type, in any
of its stacks, creates in flight included, the asking resource and deleted ones left out."""

from dataclasses import replace

from sqlalchemy import select, update

from cfnapi.engine.lookup import find_stack
from cfnapi.engine.models import ResourceRow
from cfnapi.engine.run import OperationRun
from cfnapi.translate.testing import SLEEPER_TYPE
from tests.engine.conftest import Caller, Harness, sleeper


def _lookup(harness, stack_name, logical_id, caller=None):
    stack = find_stack(harness.runtime, caller or harness.caller, stack_name)
    return OperationRun(harness.runtime, stack, None).context_for(logical_id).recorded_resources


def test_the_account_s_resources_of_a_type_in_every_stack_less_the_asking_one_and_deleted_ones(tmp_path):
    harness = Harness(tmp_path)
    try:
        harness.create("one", {"A": sleeper(Value="a"), "B": sleeper(Value="b")})
        harness.create("two", {"C": sleeper(Value="c")})
        harness.create("gone", {"D": sleeper(Value="d")})
        harness.call("delete_stack", StackName="gone")
        harness.worker.run_until_idle()
        other_account = replace(harness.caller, account_id="210987654321")
        harness.caller = other_account
        harness.create("theirs", {"E": sleeper(Value="e")})
        harness.caller = Caller()
        with harness.db.transaction() as session:  # B's create call is in flight: no physical id yet
            session.execute(update(ResourceRow).where(ResourceRow.logical_id == "B")
                            .values(physical_id=None, status="CREATE_IN_PROGRESS"))

        seen_by_a = _lookup(harness, "one", "A")(SLEEPER_TYPE)
        assert sorted(props["Value"] for _, props in seen_by_a) == ["b", "c"]
        assert [pid for pid, props in seen_by_a if props["Value"] == "b"] == [None]
        with harness.db.transaction() as session:
            c_id = session.scalar(select(ResourceRow.physical_id).where(ResourceRow.logical_id == "C"))
        assert (c_id, {"Value": "c"}) in [(pid, dict(props)) for pid, props in seen_by_a]
        assert sorted(p["Value"] for _, p in _lookup(harness, "two", "C")(SLEEPER_TYPE)) == ["a", "b"]
        assert _lookup(harness, "one", "A")("AWS::EC2::NetworkAcl") == []
        assert [p["Value"] for _, p in _lookup(harness, "theirs", "E", other_account)(SLEEPER_TYPE)] == []
    finally:
        harness.runtime.shutdown()
        harness.db.dispose()
