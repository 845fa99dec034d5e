"""Change sets, and the API sequence ``aws cloudformation deploy`` runs, judged by
botocore's own waiter acceptors."""


import botocore.session
import jmespath
import pytest

from cfnapi.errors import ServiceError

TEMPLATE_V1 = """
Parameters:
  Size:
    Type: String
    Default: small
Resources:
  Base:
    Type: Test::Engine::Sleeper
    Properties:
      Value: !Ref Size
  Top:
    Type: Test::Engine::Sleeper
    Properties:
      Inputs: !Ref Base
"""


def waiter_verdict(name, response):
    """'success', 'failure' or 'retry', as botocore's waiter would decide on this response."""
    model = botocore.session.get_session().get_waiter_model("cloudformation")
    for acceptor in model.get_waiter(name).acceptors:
        if acceptor.matcher == "error":
            continue
        found = jmespath.search(acceptor.argument, response) if acceptor.argument else None
        if acceptor.matcher == "path":
            hit = found == acceptor.expected
        elif acceptor.matcher == "pathAll":
            hit = bool(found) and all(v == acceptor.expected for v in found)
        elif acceptor.matcher == "pathAny":
            hit = bool(found) and any(v == acceptor.expected for v in found)
        else:
            continue
        if hit:
            return acceptor.state
    return "retry"


def deploy(h, name, body, parameters=()):
    """What awscli's deployer does, call by call."""
    try:
        stacks = h.call("describe_stacks", StackName=name)["Stacks"]
        exists = stacks[0]["StackStatus"] != "REVIEW_IN_PROGRESS"
    except ServiceError as error:
        assert f"Stack with id {name} does not exist" in error.message
        exists = False
    kind = "UPDATE" if exists else "CREATE"
    created = h.call(
        "create_change_set", StackName=name, ChangeSetName=f"awscli-cloudformation-package-deploy-{len(h.cloud.journal)}",
        TemplateBody=body, ChangeSetType=kind, Parameters=list(parameters), Capabilities=[], Tags=[],
        Description="Created by AWS CLI",
    )
    described = h.call("describe_change_set", ChangeSetName=created["Id"], StackName=name)
    if described["Status"] in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
        assert waiter_verdict("ChangeSetCreateComplete", described) == "retry"
        h.runtime.wait_for_background()
        described = h.call("describe_change_set", ChangeSetName=created["Id"], StackName=name)
    verdict = waiter_verdict("ChangeSetCreateComplete", described)
    if verdict != "success":
        return kind, described
    h.call("execute_change_set", ChangeSetName=created["Id"], StackName=name, DisableRollback=False)
    stack = h.call("describe_stacks", StackName=name)
    waiter = "StackCreateComplete" if kind == "CREATE" else "StackUpdateComplete"
    assert waiter_verdict(waiter, stack) == "retry"  # still running
    h.worker.run_until_idle()
    stack = h.call("describe_stacks", StackName=name)
    assert waiter_verdict(waiter, stack) == "success"
    return kind, h.call("describe_change_set", ChangeSetName=created["Id"], StackName=name)


def test_deploy_creates_then_updates_then_reports_no_changes(cfn):
    kind, change_set = deploy(cfn, "app", TEMPLATE_V1)
    assert kind == "CREATE" and change_set["ExecutionStatus"] == "EXECUTE_COMPLETE"
    assert [c["ResourceChange"]["Action"] for c in change_set["Changes"]] == ["Add", "Add"]
    assert cfn.status("app") == "CREATE_COMPLETE"

    kind, change_set = deploy(cfn, "app", TEMPLATE_V1, [{"ParameterKey": "Size", "ParameterValue": "large"}])
    assert kind == "UPDATE" and change_set["ExecutionStatus"] == "EXECUTE_COMPLETE"
    base = cfn.cloud.records[cfn.cloud.existing()["Base"]]
    assert base.properties["Value"] == "large"

    kind, change_set = deploy(cfn, "app", TEMPLATE_V1, [{"ParameterKey": "Size", "UsePreviousValue": True}])
    assert change_set["Status"] == "FAILED" and change_set["ExecutionStatus"] == "UNAVAILABLE"
    assert change_set["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to create a change set."
    )
    assert waiter_verdict("ChangeSetCreateComplete", change_set) == "failure"


def test_create_change_set_puts_new_stack_in_review(cfn):
    result = cfn.call("create_change_set", StackName="rev", ChangeSetName="first", TemplateBody=TEMPLATE_V1,
                      ChangeSetType="CREATE")
    cfn.runtime.wait_for_background()
    stack = cfn.call("describe_stacks", StackName="rev")["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS" and stack["StackId"] == result["StackId"]
    assert cfn.cloud.existing() == {}
    summaries = cfn.call("list_change_sets", StackName="rev")["Summaries"]
    assert [(s["ChangeSetName"], s["Status"], s["ExecutionStatus"]) for s in summaries] == [
        ("first", "CREATE_COMPLETE", "AVAILABLE")
    ]
    with pytest.raises(ServiceError, match=r"ChangeSet \[first\] already exists"):
        cfn.call("create_change_set", StackName="rev", ChangeSetName="first", TemplateBody=TEMPLATE_V1,
                 ChangeSetType="CREATE")
    cfn.call("delete_change_set", ChangeSetName="first", StackName="rev")
    with pytest.raises(ServiceError) as info:
        cfn.call("describe_change_set", ChangeSetName="first", StackName="rev")
    assert info.value.code == "ChangeSetNotFound"
    # Deleting the review stack leaves nothing behind.
    cfn.call("delete_stack", StackName="rev")
    with pytest.raises(ServiceError, match="does not exist"):
        cfn.call("describe_stacks", StackName="rev")


def test_update_change_set_describes_replacement_and_references(cfn):
    cfn.call("create_stack", StackName="rep", TemplateBody=TEMPLATE_V1)
    cfn.worker.run_until_idle()
    replaced = TEMPLATE_V1.replace("Value: !Ref Size", "ReplaceMe: !Ref Size")
    cfn.call("create_change_set", StackName="rep", ChangeSetName="r1", TemplateBody=replaced)
    cfn.runtime.wait_for_background()
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
               for c in cfn.call("describe_change_set", ChangeSetName="r1", StackName="rep")["Changes"]}
    assert changes["Base"]["Action"] == "Modify" and changes["Base"]["Replacement"] == "True"
    assert changes["Base"]["PhysicalResourceId"] == cfn.cloud.existing()["Base"]
    assert changes["Top"]["Replacement"] == "Conditional"
    assert changes["Top"]["Details"][0]["CausingEntity"] == "Base"
    # Describing changed nothing.
    assert cfn.status("rep") == "CREATE_COMPLETE"


def test_executing_one_change_set_deletes_the_others(cfn):
    cfn.call("create_stack", StackName="many", TemplateBody=TEMPLATE_V1)
    cfn.worker.run_until_idle()
    for n, size in (("a", "one"), ("b", "two")):
        cfn.call("create_change_set", StackName="many", ChangeSetName=n, TemplateBody=TEMPLATE_V1,
                 Parameters=[{"ParameterKey": "Size", "ParameterValue": size}])
    cfn.runtime.wait_for_background()
    cfn.call("execute_change_set", ChangeSetName="b", StackName="many")
    names = [s["ChangeSetName"] for s in cfn.call("list_change_sets", StackName="many")["Summaries"]]
    assert names == ["b"]
    with pytest.raises(ServiceError) as info:
        cfn.call("execute_change_set", ChangeSetName="b", StackName="many")
    assert info.value.code == "InvalidChangeSetStatus"
    cfn.worker.run_until_idle()
    assert cfn.status("many") == "UPDATE_COMPLETE"
    assert cfn.call("get_template", ChangeSetName="b", StackName="many")["TemplateBody"] == TEMPLATE_V1


def test_change_set_name_needs_stack_unless_arn(cfn):
    with pytest.raises(ServiceError, match="StackName must be specified"):
        cfn.call("describe_change_set", ChangeSetName="x")
    with pytest.raises(ServiceError, match=r"Stack \[none\] does not exist"):
        cfn.call("create_change_set", StackName="none", ChangeSetName="x", TemplateBody=TEMPLATE_V1)


def test_change_set_is_computed_after_create_returns(cfn, monkeypatch):
    """CREATE_PENDING when CreateChangeSet returns, CREATE_IN_PROGRESS while the plan is made, then
    CREATE_COMPLETE; nothing can execute it before."""
    from cfnapi.engine import change_set_review

    cfn.call("create_stack", StackName="async", TemplateBody=TEMPLATE_V1)
    cfn.worker.run_until_idle()
    jobs, seen_while_planning = [], []
    monkeypatch.setattr(cfn.runtime, "in_background", jobs.append)
    real_preview = change_set_review.preview_update

    def watching_preview(*args):
        seen_while_planning.append(cfn.call("describe_change_set", ChangeSetName="c", StackName="async")["Status"])
        return real_preview(*args)

    monkeypatch.setattr(change_set_review, "preview_update", watching_preview)
    cfn.call("create_change_set", StackName="async", ChangeSetName="c", TemplateBody=TEMPLATE_V1,
             Parameters=[{"ParameterKey": "Size", "ParameterValue": "big"}])
    pending = cfn.call("describe_change_set", ChangeSetName="c", StackName="async")
    assert (pending["Status"], pending["ExecutionStatus"]) == ("CREATE_PENDING", "UNAVAILABLE")
    assert waiter_verdict("ChangeSetCreateComplete", pending) == "retry"
    with pytest.raises(ServiceError) as info:
        cfn.call("execute_change_set", ChangeSetName="c", StackName="async")
    # AWS's words (LocalStack and other emulators quote the same): the change set's Status while it is
    # not CREATE_COMPLETE, its ExecutionStatus after (below: OBSOLETE).
    pending_id = pending["ChangeSetId"]
    assert info.value.code == "InvalidChangeSetStatus"
    assert info.value.message == f"ChangeSet [{pending_id}] cannot be executed in its current status of [CREATE_PENDING]"
    [job] = jobs
    job()
    assert seen_while_planning == ["CREATE_IN_PROGRESS"]
    done = cfn.call("describe_change_set", ChangeSetName="c", StackName="async")
    assert (done["Status"], done["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert waiter_verdict("ChangeSetCreateComplete", done) == "success"
    assert [c["ResourceChange"]["LogicalResourceId"] for c in done["Changes"]] == ["Base"]


def test_change_set_left_pending_by_a_dead_process_is_computed_on_describe(cfn, monkeypatch):
    import datetime as dt

    from sqlalchemy import update

    from cfnapi.engine.models import ChangeSetRow

    cfn.call("create_stack", StackName="orphan", TemplateBody=TEMPLATE_V1)
    cfn.worker.run_until_idle()
    monkeypatch.setattr(cfn.runtime, "in_background", lambda job: None)  # the process "dies" first
    created = cfn.call("create_change_set", StackName="orphan", ChangeSetName="c", TemplateBody=TEMPLATE_V1)
    assert cfn.call("describe_change_set", ChangeSetName=created["Id"])["Status"] == "CREATE_PENDING"
    with cfn.db.transaction() as session:
        session.execute(update(ChangeSetRow).values(created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))
    later = cfn.call("describe_change_set", ChangeSetName=created["Id"])
    assert (later["Status"], later["StatusReason"]) == (
        "FAILED", "The submitted information didn't contain changes. Submit different information to create a change set.")


def test_change_set_is_obsolete_once_the_stack_changed_by_other_means(cfn):
    cfn.call("create_stack", StackName="obs", TemplateBody=TEMPLATE_V1)
    cfn.worker.run_until_idle()
    cfn.call("create_change_set", StackName="obs", ChangeSetName="stale", TemplateBody=TEMPLATE_V1,
             Parameters=[{"ParameterKey": "Size", "ParameterValue": "two"}])
    cfn.runtime.wait_for_background()
    assert cfn.call("describe_change_set", ChangeSetName="stale", StackName="obs")["ExecutionStatus"] == "AVAILABLE"
    cfn.call("update_stack", StackName="obs", TemplateBody=TEMPLATE_V1,
             Parameters=[{"ParameterKey": "Size", "ParameterValue": "three"}])
    cfn.worker.run_until_idle()
    described = cfn.call("describe_change_set", ChangeSetName="stale", StackName="obs")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "OBSOLETE")
    with pytest.raises(ServiceError) as info:
        cfn.call("execute_change_set", ChangeSetName="stale", StackName="obs")
    assert info.value.code == "InvalidChangeSetStatus"
    assert info.value.message == (
        f"ChangeSet [{described['ChangeSetId']}] cannot be executed in its current execution status of [OBSOLETE]")
