"""Listing, pagination, lookups, protections and the smaller stack operations."""

import json

import pytest

from cfnapi.engine import api
from cfnapi.engine.pagination import PAGE_SIZES
from cfnapi.errors import ServiceError


def body(resources, outputs=None):
    return json.dumps({"Resources": resources, **({"Outputs": outputs} if outputs else {})})


def sleeper(**props):
    return {"Type": "Test::Engine::Sleeper", "Properties": props}


def create(h, name, resources, outputs=None, **kwargs):
    stack_id = h.call("create_stack", StackName=name, TemplateBody=body(resources, outputs), **kwargs)["StackId"]
    h.worker.run_until_idle()
    return stack_id


def delete(h, name):
    h.call("delete_stack", StackName=name)
    h.worker.run_until_idle()


def all_pages(h, operation, key, **params):
    items, token, pages = [], None, 0
    while True:
        result = h.call(operation, **params, **({"NextToken": token} if token else {}))
        items += result[key]
        pages += 1
        token = result.get("NextToken")
        if token is None:
            return items, pages


def test_list_stacks_includes_deleted_and_filters_by_status(cfn):
    live = create(cfn, "live", {"A": sleeper()})
    gone = create(cfn, "gone", {"A": sleeper()})
    delete(cfn, "gone")
    summaries = {s["StackId"]: s for s in cfn.call("list_stacks")["StackSummaries"]}
    assert summaries[live]["StackStatus"] == "CREATE_COMPLETE"
    assert summaries[gone]["StackStatus"] == "DELETE_COMPLETE" and "DeletionTime" in summaries[gone]
    only_deleted = cfn.call("list_stacks", StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert [s["StackId"] for s in only_deleted] == [gone]
    with pytest.raises(ServiceError, match="stackStatusFilter"):
        cfn.call("list_stacks", StackStatusFilter=["NOT_A_STATUS"])
    # DescribeStacks without a name lists live stacks only.
    assert [s["StackName"] for s in cfn.call("describe_stacks")["Stacks"]] == ["live"]


def test_events_paginate_without_losing_or_repeating(cfn):
    resources = {f"R{i}": sleeper() for i in range(40)}  # 3 events each + 2 stack events
    stack_id = create(cfn, "many", resources)
    events, pages = all_pages(cfn, "describe_stack_events", "StackEvents", StackName="many")
    assert pages >= 2 and len(events) == 40 * 3 + 2
    assert len({e["EventId"] for e in events}) == len(events)
    assert events[0]["ResourceStatus"] == "CREATE_COMPLETE" and events[0]["PhysicalResourceId"] == stack_id
    first = cfn.call("describe_stack_events", StackName="many")
    assert len(first["StackEvents"]) == PAGE_SIZES["DescribeStackEvents"]


def test_list_stack_resources_paginates(cfn):
    create(cfn, "big", {f"R{i:03}": sleeper() for i in range(105)})
    summaries, pages = all_pages(cfn, "list_stack_resources", "StackResourceSummaries", StackName="big")
    assert pages == 2 and len(summaries) == 105
    assert {s["ResourceStatus"] for s in summaries} == {"CREATE_COMPLETE"}
    assert "LastUpdatedTimestamp" in summaries[0] and "StackName" not in summaries[0]


def test_next_token_from_another_operation_is_rejected(cfn):
    create(cfn, "big", {f"R{i:03}": sleeper() for i in range(101)})
    token = cfn.call("list_stack_resources", StackName="big")["NextToken"]
    with pytest.raises(ServiceError, match="Invalid NextToken"):
        cfn.call("list_stacks", NextToken=token)


def test_describe_stack_resources_by_physical_id(cfn):
    create(cfn, "phys", {"A": sleeper(), "B": sleeper()})
    physical = cfn.cloud.existing()["B"]
    rows = cfn.call("describe_stack_resources", PhysicalResourceId=physical)["StackResources"]
    assert {r["LogicalResourceId"] for r in rows} == {"A", "B"}
    assert rows[0]["StackName"] == "phys"
    with pytest.raises(ServiceError, match="Stack for nope does not exist"):
        cfn.call("describe_stack_resources", PhysicalResourceId="nope")
    with pytest.raises(ServiceError, match="Resource Missing does not exist for stack phys"):
        cfn.call("describe_stack_resource", StackName="phys", LogicalResourceId="Missing")
    detail = cfn.call("describe_stack_resource", StackName="phys", LogicalResourceId="A")["StackResourceDetail"]
    assert detail["Metadata"] == "{}" and detail["PhysicalResourceId"] == cfn.cloud.existing()["A"]


def test_termination_protection_blocks_delete(cfn):
    create(cfn, "prot", {"A": sleeper()}, EnableTerminationProtection=True)
    with pytest.raises(ServiceError, match=r"Stack \[prot\] cannot be deleted while TerminationProtection is enabled"):
        cfn.call("delete_stack", StackName="prot")
    cfn.call("update_termination_protection", StackName="prot", EnableTerminationProtection=False)
    assert cfn.call("describe_stacks", StackName="prot")["Stacks"][0]["EnableTerminationProtection"] is False
    delete(cfn, "prot")
    assert cfn.cloud.existing() == {}


def test_imported_export_can_be_neither_deleted_nor_changed(cfn):
    create(cfn, "exp", {"A": sleeper(Value="1")}, {"V": {"Value": {"Fn::GetAtt": ["A", "Value"]}, "Export": {"Name": "ex-v"}}})
    create(cfn, "imp", {"U": sleeper(Value={"Fn::ImportValue": "ex-v"})})
    assert cfn.status("imp") == "CREATE_COMPLETE"

    cfn.call("update_stack", StackName="exp", TemplateBody=body(
        {"A": sleeper(Value="2")}, {"V": {"Value": {"Fn::GetAtt": ["A", "Value"]}, "Export": {"Name": "ex-v"}}}))
    cfn.worker.run_until_idle()
    stack = cfn.call("describe_stacks", StackName="exp")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert ("exp", "UPDATE_ROLLBACK_IN_PROGRESS", "Cannot update export ex-v as it is in use by imp") in cfn.events("exp")

    delete(cfn, "exp")
    stack = cfn.call("describe_stacks", StackName="exp")["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "Export ex-v cannot be deleted as it is in use by imp"
    assert "A" in cfn.cloud.existing()

    delete(cfn, "imp")
    delete(cfn, "exp")
    assert cfn.cloud.existing() == {}
    with pytest.raises(ServiceError, match="Export 'ex-v' does not exist"):
        cfn.call("list_imports", ExportName="ex-v")


def test_duplicate_export_name_fails_the_create(cfn):
    out = {"V": {"Value": "x", "Export": {"Name": "dup"}}}
    create(cfn, "one", {"A": sleeper()}, out)
    stack_id = create(cfn, "two", {"A": sleeper()}, out)
    assert cfn.status(stack_id) == "ROLLBACK_COMPLETE"
    reasons = [r for lid, s, r in cfn.events(stack_id) if s == "ROLLBACK_IN_PROGRESS"]
    assert reasons == ["Export with name dup is already exported by stack one. Rollback requested by user."]


POLICY = json.dumps({
    "Statement": [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "LogicalResourceId/Db"},
    ]
})


def test_stack_policy_denies_update_of_protected_resource(cfn):
    create(cfn, "pol", {"Db": sleeper(Value="1"), "Web": sleeper(Value="1")}, StackPolicyBody=POLICY)
    assert json.loads(cfn.call("get_stack_policy", StackName="pol")["StackPolicyBody"]) == json.loads(POLICY)
    cfn.call("update_stack", StackName="pol", TemplateBody=body({"Db": sleeper(Value="2"), "Web": sleeper(Value="1")}))
    cfn.worker.run_until_idle()
    assert cfn.status("pol") == "UPDATE_ROLLBACK_COMPLETE"
    failures = [r for lid, s, r in cfn.events("pol") if lid == "Db" and s == "UPDATE_FAILED"]
    assert failures and failures[0].startswith("Action denied by stack policy")
    # An unprotected resource updates; deleting the protected one is denied too.
    cfn.call("update_stack", StackName="pol", TemplateBody=body({"Db": sleeper(Value="1"), "Web": sleeper(Value="2")}))
    cfn.worker.run_until_idle()
    assert cfn.status("pol") == "UPDATE_COMPLETE"
    cfn.call("update_stack", StackName="pol", TemplateBody=body({"Web": sleeper(Value="2")}))
    cfn.worker.run_until_idle()
    assert cfn.status("pol") == "UPDATE_ROLLBACK_COMPLETE" and "Db" in cfn.cloud.existing()
    # A during-update override lets it through, once.
    allow_all = json.dumps({"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]})
    cfn.call("update_stack", StackName="pol", TemplateBody=body({"Web": sleeper(Value="2")}),
             StackPolicyDuringUpdateBody=allow_all)
    cfn.worker.run_until_idle()
    assert cfn.status("pol") == "UPDATE_COMPLETE" and "Db" not in cfn.cloud.existing()
    assert json.loads(cfn.call("get_stack_policy", StackName="pol")["StackPolicyBody"]) == json.loads(POLICY)


def test_set_stack_policy_validates(cfn):
    create(cfn, "p2", {"A": sleeper()})
    assert cfn.call("get_stack_policy", StackName="p2") == {}
    with pytest.raises(ServiceError, match="Invalid stack policy"):
        cfn.call("set_stack_policy", StackName="p2", StackPolicyBody="not json")


def test_rollback_stack_after_create_failed(cfn):
    stack_id = create(cfn, "rb", {"A": sleeper(), "Bad": sleeper(FailOnCreate="true")}, DisableRollback=True)
    assert cfn.status(stack_id) == "CREATE_FAILED" and "A" in cfn.cloud.existing()
    assert cfn.call("rollback_stack", StackName="rb", ClientRequestToken="t1") == {"StackId": stack_id}
    assert cfn.call("rollback_stack", StackName="rb", ClientRequestToken="t1") == {"StackId": stack_id}  # a retry
    cfn.worker.run_until_idle()
    assert cfn.status(stack_id) == "ROLLBACK_COMPLETE" and cfn.cloud.existing() == {}
    with pytest.raises(ServiceError, match="can not be rolled back"):
        cfn.call("rollback_stack", StackName="rb")


def test_client_request_token_makes_update_retry_idempotent(cfn):
    create(cfn, "tok", {"A": sleeper(Value="1")})
    new = body({"A": sleeper(Value="2")})
    cfn.call("update_stack", StackName="tok", TemplateBody=new, ClientRequestToken="u-1")
    # A retry while it is in progress is answered, not refused.
    assert "StackId" in cfn.call("update_stack", StackName="tok", TemplateBody=new, ClientRequestToken="u-1")
    cfn.worker.run_until_idle()
    assert cfn.status("tok") == "UPDATE_COMPLETE"
    tokens = {e.get("ClientRequestToken") for e in cfn.call("describe_stack_events", StackName="tok")["StackEvents"]
              if e["ResourceStatus"].startswith("UPDATE")}
    assert tokens == {"u-1"}


def test_template_url_is_fetched_under_the_runtime_policy(cfn, tmp_path):
    from cfnapi.template_url import TemplateUrlPolicy

    (tmp_path / "t.json").write_text(body({"A": sleeper()}))
    with pytest.raises(ServiceError, match="TemplateURL must be a supported URL"):
        cfn.call("create_stack", StackName="url", TemplateURL=f"file://{tmp_path}/t.json")
    cfn.runtime.url_policy = TemplateUrlPolicy(file_root=tmp_path)
    cfn.call("create_stack", StackName="url", TemplateURL=f"file://{tmp_path}/t.json")
    cfn.worker.run_until_idle()
    assert cfn.status("url") == "CREATE_COMPLETE"
    assert api.template_body(cfn.runtime, cfn.caller, "url") == body({"A": sleeper()})


def test_account_limits(cfn):
    limits = {l["Name"]: l["Value"] for l in cfn.call("describe_account_limits")["AccountLimits"]}
    assert limits["StackLimit"] == 2000 and limits["StackOutputsLimit"] == 200


def test_every_operation_has_the_handler_signature():
    import inspect

    for name in api.OPERATIONS:
        assert list(inspect.signature(getattr(api, name)).parameters) == ["runtime", "caller", "params"], name


def _wait_for(predicate, timeout=30.0):
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_delete_during_create_cancels_the_create_then_deletes(engine):
    import threading

    stack_id = engine.call("create_stack", StackName="busy", TemplateBody=body({
        "Quick": sleeper(), "Slow": sleeper(CreateDelay="60"), "After": {**sleeper(), "DependsOn": "Slow"}}))["StackId"]
    runner = threading.Thread(target=engine.worker.run_until_idle)
    runner.start()
    _wait_for(lambda: ("Slow", "CREATE_IN_PROGRESS", "Resource creation Initiated") in engine.events("busy")
              and ("Quick", "CREATE_COMPLETE", None) in engine.events("busy"))
    assert engine.call("delete_stack", StackName="busy") == {}
    runner.join()
    events = engine.events(stack_id)
    stack_events = [e[1:] for e in events if e[0] == "busy"]
    assert stack_events == [("CREATE_IN_PROGRESS", "User Initiated"), ("DELETE_IN_PROGRESS", "User Initiated"),
                            ("DELETE_COMPLETE", None)]
    assert ("Slow", "CREATE_FAILED", "Resource creation cancelled") in events
    assert not any(e[0] == "After" for e in events)  # never started
    assert engine.cloud.existing() == {}


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"])
def test_delete_refused_while_another_operation_runs(engine, status):
    from sqlalchemy import update

    from cfnapi.engine.models import StackRow

    stack_id = create(engine, "running", {"A": sleeper()})
    with engine.db.transaction() as session:
        session.execute(update(StackRow).where(StackRow.stack_id == stack_id).values(status=status))
    with pytest.raises(ServiceError) as caught:
        engine.call("delete_stack", StackName="running")
    assert caught.value.message == f"Stack [{stack_id}] cannot be deleted while in status {status}"


def test_delete_of_a_stack_already_deleting_is_accepted(engine):
    stack_id = create(engine, "twice", {"A": sleeper()})
    assert engine.call("delete_stack", StackName="twice") == {}
    assert engine.call("delete_stack", StackName="twice") == {}  # DELETE_IN_PROGRESS: nothing more to do
    engine.worker.run_until_idle()
    assert engine.status(stack_id) == "DELETE_COMPLETE"
    assert [e[1] for e in engine.events(stack_id) if e[0] == "twice"].count("DELETE_IN_PROGRESS") == 1


def test_get_template_processed_stage_expands_transforms(cfn):
    template = json.dumps({
        "Transform": "AWS::LanguageExtensions",
        "Resources": {"Fn::ForEach::Items": ["Name", ["A", "B"], {"S${Name}": sleeper(Value={"Ref": "Name"})}]},
    })
    cfn.call("create_stack", StackName="tx", TemplateBody=template, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    cfn.worker.run_until_idle()
    original = cfn.call("get_template", StackName="tx")
    assert original == {"TemplateBody": template, "StagesAvailable": ["Original", "Processed"]}
    assert cfn.call("get_template", StackName="tx", TemplateStage="Original") == original
    processed = cfn.call("get_template", StackName="tx", TemplateStage="Processed")
    assert processed["StagesAvailable"] == ["Original", "Processed"]
    data = json.loads(processed["TemplateBody"])
    assert "Transform" not in data and set(data["Resources"]) == {"SA", "SB"}
    assert data["Resources"]["SB"]["Properties"] == {"Value": "B"}


def test_get_template_processed_without_transforms_is_the_original(cfn):
    create(cfn, "plain", {"A": sleeper()})
    assert cfn.call("get_template", StackName="plain", TemplateStage="Processed")["TemplateBody"] == body(
        {"A": sleeper()})


def test_a_retried_create_stack_with_the_same_token_answers_with_the_same_stack(cfn):
    template = body({"A": sleeper()})
    first = cfn.call("create_stack", StackName="once", TemplateBody=template, ClientRequestToken="c-1")
    # The client's retry (its first reply lost) is answered with the same stack, not AlreadyExists.
    assert cfn.call("create_stack", StackName="once", TemplateBody=template, ClientRequestToken="c-1") == first
    cfn.worker.run_until_idle()
    assert cfn.call("create_stack", StackName="once", TemplateBody=template, ClientRequestToken="c-1") == first
    with pytest.raises(ServiceError) as caught:  # another token is another request
        cfn.call("create_stack", StackName="once", TemplateBody=template, ClientRequestToken="c-2")
    assert caught.value.code == "AlreadyExistsException"
    assert [s["StackId"] for s in cfn.call("list_stacks")["StackSummaries"]] == [first["StackId"]]
    assert cfn.status("once") == "CREATE_COMPLETE" and len(cfn.cloud.existing()) == 1


def test_stacks_exports_and_change_sets_page_past_the_first_page(cfn):
    count = PAGE_SIZES["DescribeStacks"] + 3
    assert PAGE_SIZES["ListStacks"] == PAGE_SIZES["ListExports"] == PAGE_SIZES["ListChangeSets"] == 100
    for i in range(count):
        cfn.call("create_stack", StackName=f"s{i:03}", TemplateBody=body(
            {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            {"Out": {"Value": f"v{i}", "Export": {"Name": f"export-{i:03}"}}}))
    cfn.worker.run_until_idle()

    first = cfn.call("describe_stacks")
    assert len(first["Stacks"]) == 100 and "NextToken" in first
    stacks, pages = all_pages(cfn, "describe_stacks", "Stacks")
    assert pages == 2 and sorted(s["StackName"] for s in stacks) == [f"s{i:03}" for i in range(count)]

    summaries, pages = all_pages(cfn, "list_stacks", "StackSummaries")
    assert pages == 2 and len({s["StackId"] for s in summaries}) == count

    assert len(cfn.call("list_exports")["Exports"]) == 100
    exports, pages = all_pages(cfn, "list_exports", "Exports")
    assert pages == 2 and sorted(e["Name"] for e in exports) == [f"export-{i:03}" for i in range(count)]

    for i in range(count):
        cfn.call("create_change_set", StackName="s000", ChangeSetName=f"cs{i:03}", TemplateBody=body(
            {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}, "G": sleeper(Value=str(i))},
            {"Out": {"Value": "v0", "Export": {"Name": "export-000"}}}))
    assert len(cfn.call("list_change_sets", StackName="s000")["Summaries"]) == 100
    cfn.runtime.wait_for_background()
    change_sets, pages = all_pages(cfn, "list_change_sets", "Summaries", StackName="s000")
    assert pages == 2 and sorted(c["ChangeSetName"] for c in change_sets) == [f"cs{i:03}" for i in range(count)]
