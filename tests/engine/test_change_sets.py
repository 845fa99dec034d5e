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
    # Top's Inputs (updated in place) takes Base's new id: a Dynamic detail, no replacement.
    assert changes["Top"]["Replacement"] == "False"
    assert changes["Top"]["Details"] == [{
        "Target": {"Attribute": "Properties", "Name": "Inputs", "RequiresRecreation": "Never"},
        "Evaluation": "Dynamic",
        "ChangeSource": "ResourceReference",
        "CausingEntity": "Base",
    }]
    # Describing changed nothing.
    assert cfn.status("rep") == "CREATE_COMPLETE"


ATTRIBUTE_TEMPLATE = """
Parameters:
  Size:
    Type: String
    Default: small
  Colour:
    Type: String
    Default: red
Resources:
  Base:
    Type: Test::Engine::Sleeper
    Properties:
      ReplaceMe: !Ref Size
  ByAttribute:
    Type: Test::Engine::Sleeper
    Properties:
      ReplaceMe: !GetAtt Base.Arn
  Painted:
    Type: Test::Engine::Sleeper
    Properties:
      Value: !Sub "${Colour}-paint"
      Tags: [{Key: colour, Value: !Ref Colour}]
"""


def _changes_of(cfn, stack, name, **request):
    cfn.call("create_change_set", StackName=stack, ChangeSetName=name, **request)
    cfn.runtime.wait_for_background()
    described = cfn.call("describe_change_set", ChangeSetName=name, StackName=stack)
    assert described["Status"] == "CREATE_COMPLETE", described.get("StatusReason")
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}


def test_change_set_details_name_the_parameter_and_the_attribute_that_cause_them(cfn):
    cfn.call("create_stack", StackName="why", TemplateBody=ATTRIBUTE_TEMPLATE)
    cfn.worker.run_until_idle()
    changes = _changes_of(cfn, "why", "params", UsePreviousTemplate=True, Parameters=[
        {"ParameterKey": "Size", "ParameterValue": "large"},
        {"ParameterKey": "Colour", "ParameterValue": "blue"},
    ])
    # A parameter's new value: AWS's pair of a Dynamic DirectModification and a Static
    # ParameterReference naming the parameter (its "Modifying an input parameter" example).
    assert changes["Base"]["Replacement"] == "True"
    assert changes["Base"]["Details"] == [
        {"Target": {"Attribute": "Properties", "Name": "ReplaceMe", "RequiresRecreation": "Always"},
         "Evaluation": "Dynamic", "ChangeSource": "DirectModification"},
        {"Target": {"Attribute": "Properties", "Name": "ReplaceMe", "RequiresRecreation": "Always"},
         "Evaluation": "Static", "ChangeSource": "ParameterReference", "CausingEntity": "Size"},
    ]
    assert changes["Painted"]["Scope"] == ["Properties", "Tags"]
    assert [(d["Target"]["Attribute"], d["Target"].get("Name"), d["Evaluation"], d["ChangeSource"],
             d.get("CausingEntity")) for d in changes["Painted"]["Details"]] == [
        ("Properties", "Value", "Dynamic", "DirectModification", None),
        ("Tags", None, "Dynamic", "DirectModification", None),
        ("Properties", "Value", "Static", "ParameterReference", "Colour"),
        ("Tags", None, "Static", "ParameterReference", "Colour"),
    ]
    # Fn::GetAtt of a replaced resource on a property that replaces: ResourceAttribute, Conditional.
    assert changes["ByAttribute"]["Replacement"] == "Conditional"
    assert changes["ByAttribute"]["Details"] == [{
        "Target": {"Attribute": "Properties", "Name": "ReplaceMe", "RequiresRecreation": "Always"},
        "Evaluation": "Dynamic",
        "ChangeSource": "ResourceAttribute",
        "CausingEntity": "Base.Arn",
    }]


def test_a_template_edit_is_a_static_direct_modification_even_beside_a_parameter(cfn):
    cfn.call("create_stack", StackName="edit", TemplateBody=ATTRIBUTE_TEMPLATE)
    cfn.worker.run_until_idle()
    edited = ATTRIBUTE_TEMPLATE.replace('!Sub "${Colour}-paint"', '!Sub "${Colour}-varnish"')
    changes = _changes_of(cfn, "edit", "edit", TemplateBody=edited)
    assert set(changes) == {"Painted"}
    assert changes["Painted"]["Details"] == [{
        "Target": {"Attribute": "Properties", "Name": "Value", "RequiresRecreation": "Never"},
        "Evaluation": "Static",
        "ChangeSource": "DirectModification",
    }]
    both = _changes_of(cfn, "edit", "both", TemplateBody=edited,
                       Parameters=[{"ParameterKey": "Colour", "ParameterValue": "green"}])
    value_details = [d for d in both["Painted"]["Details"] if d["Target"].get("Name") == "Value"]
    assert [(d["Evaluation"], d["ChangeSource"], d.get("CausingEntity")) for d in value_details] == [
        ("Static", "DirectModification", None),
        ("Static", "ParameterReference", "Colour"),
    ]


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
