"""The engine driven by real YAML/JSON templates through ``TemplateCompiler``."""

import json

import pytest

from cfnapi.engine import api
from cfnapi.errors import ServiceError
from cfnapi.handlers.cloudformation import CloudFormationHandlers
from cfnapi.template_url import TemplateUrlPolicy

CHAIN = """
AWSTemplateFormatVersion: "2010-09-09"
Description: a chain of sleepers
Parameters:
  Greeting:
    Type: String
    Default: hello
  Secret:
    Type: String
    NoEcho: true
  Extra:
    Type: String
    Default: "no"
    AllowedValues: ["yes", "no"]
Conditions:
  WantExtra: !Equals [!Ref Extra, "yes"]
Resources:
  First:
    Type: Test::Engine::Sleeper
    Properties:
      Value: !Sub "${Greeting}-${AWS::StackName}"
  Second:
    Type: Test::Engine::Sleeper
    Properties:
      Inputs: !GetAtt First.Arn
  Third:
    Type: Test::Engine::Sleeper
    DependsOn: Second
    Metadata:
      AWS::CloudFormation::Init:
        config: {files: {/etc/motd: {content: !Ref Greeting}}}
    Properties:
      Value: !Join ["/", [!Ref First, !Ref Secret]]
  Optional:
    Type: Test::Engine::Sleeper
    Condition: WantExtra
Outputs:
  FirstValue:
    Value: !GetAtt First.Value
    Export:
      Name: !Sub "${AWS::StackName}-first"
  OptionalId:
    Condition: WantExtra
    Value: !Ref Optional
"""


def params(**values):
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


def create(h, name, body, **kwargs):
    result = h.call("create_stack", StackName=name, TemplateBody=body, **kwargs)
    h.worker.run_until_idle()
    return result["StackId"]


def test_chain_creates_in_dependency_order_with_resolved_properties(cfn):
    create(cfn, "chain", CHAIN, Parameters=params(Secret="s3cr3t"))
    assert cfn.status("chain") == "CREATE_COMPLETE"
    iv = cfn.cloud.intervals()
    assert iv["First"][1] <= iv["Second"][0] and iv["Second"][1] <= iv["Third"][0]
    existing = cfn.cloud.existing()
    assert "Optional" not in existing  # its Condition is false
    props = {lid: cfn.cloud.records[pid].properties for lid, pid in existing.items()}
    assert props["First"]["Value"] == "hello-chain"
    assert props["Third"]["Value"] == f"{existing['First']}/s3cr3t"
    assert props["Second"]["Inputs"].startswith("arn:")

    stack = cfn.call("describe_stacks", StackName="chain")["Stacks"][0]
    assert stack["Description"] == "a chain of sleepers"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Greeting": "hello", "Secret": "****", "Extra": "no",
    }
    assert stack["Outputs"] == [{"OutputKey": "FirstValue", "OutputValue": "hello-chain", "ExportName": "chain-first"}]

    detail = cfn.call("describe_stack_resource", StackName="chain", LogicalResourceId="Third")["StackResourceDetail"]
    assert json.loads(detail["Metadata"]) == {
        "AWS::CloudFormation::Init": {"config": {"files": {"/etc/motd": {"content": "hello"}}}}
    }


def test_condition_change_adds_resource_and_output_on_update(cfn):
    create(cfn, "cond", CHAIN, Parameters=params(Secret="x"))
    cfn.call(
        "update_stack",
        StackName="cond",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Secret", "UsePreviousValue": True}] + params(Extra="yes"),
    )
    cfn.worker.run_until_idle()
    assert cfn.status("cond") == "UPDATE_COMPLETE"
    assert "Optional" in cfn.cloud.existing()
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.call("describe_stacks", StackName="cond")["Stacks"][0]["Outputs"]}
    assert outputs["OptionalId"] == cfn.cloud.existing()["Optional"]
    # The secret kept its previous value (Third did not change).
    third = cfn.cloud.records[cfn.cloud.existing()["Third"]]
    assert third.properties["Value"].endswith("/x")


def test_use_previous_value_for_unknown_key_is_refused(cfn):
    create(cfn, "prev", CHAIN, Parameters=params(Secret="x"))
    with pytest.raises(ServiceError, match="usePreviousValue"):
        cfn.call("update_stack", StackName="prev", UsePreviousTemplate=True,
                 Parameters=[{"ParameterKey": "Nope", "UsePreviousValue": True}])


def test_bad_input_fails_before_anything_exists(cfn):
    with pytest.raises(ServiceError, match=r"Parameters: \[Secret\] must have values"):
        cfn.call("create_stack", StackName="bad", TemplateBody=CHAIN)
    with pytest.raises(ServiceError, match="must be one of AllowedValues"):
        cfn.call("create_stack", StackName="bad", TemplateBody=CHAIN, Parameters=params(Secret="x", Extra="maybe"))
    unsupported = "Resources:\n  V:\n    Type: AWS::Nowhere::Thing\n"
    with pytest.raises(ServiceError, match=r"Template format error: Unrecognized resource types: \[AWS::Nowhere::Thing\]"):
        cfn.call("create_stack", StackName="bad", TemplateBody=unsupported)
    with pytest.raises(ServiceError, match="Stack with id bad does not exist"):
        cfn.call("describe_stacks", StackName="bad")
    assert cfn.cloud.existing() == {}


def test_json_template_with_import_value_across_stacks(cfn):
    exporter = {
        "Resources": {"Net": {"Type": "Test::Engine::Sleeper", "Properties": {"Value": "net"}}},
        "Outputs": {"NetId": {"Value": {"Ref": "Net"}, "Export": {"Name": "shared-net"}}},
    }
    importer = {
        "Resources": {
            "User": {"Type": "Test::Engine::Sleeper", "Properties": {"Inputs": {"Fn::ImportValue": "shared-net"}}}
        }
    }
    create(cfn, "exporter", json.dumps(exporter))
    create(cfn, "importer", json.dumps(importer))
    assert cfn.status("importer") == "CREATE_COMPLETE"
    user = cfn.cloud.records[cfn.cloud.existing()["User"]]
    assert user.properties["Inputs"] == cfn.cloud.existing()["Net"]
    exports = cfn.call("list_exports")["Exports"]
    assert exports == [
        {"ExportingStackId": cfn.call("describe_stacks", StackName="exporter")["Stacks"][0]["StackId"],
         "Name": "shared-net", "Value": cfn.cloud.existing()["Net"]}
    ]
    assert cfn.call("list_imports", ExportName="shared-net")["Imports"] == ["importer"]


def test_capabilities_are_required_for_iam(cfn):
    body = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {}\n"
    from cfnapi.engine.template_binding import TemplateCompiler

    cfn.runtime.compiler = TemplateCompiler(cfn.runtime.registry.supported() | {"AWS::IAM::Role"})
    with pytest.raises(ServiceError, match=r"Requires capabilities : \[CAPABILITY_IAM\]") as info:
        cfn.call("create_stack", StackName="iam", TemplateBody=body)
    assert info.value.code == "InsufficientCapabilitiesException"


LOOP = """
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList}
Resources:
  Fn::ForEach::Sleepers:
    - Name
    - !Ref Names
    - Sleeper${Name}: {Type: Test::Engine::Sleeper, Properties: {Value: !Ref Name}}
"""


def test_for_each_over_a_parameter_follows_create_and_update_values(cfn):
    create(cfn, "loop", LOOP, Parameters=params(Names="a,b"), Capabilities=["CAPABILITY_AUTO_EXPAND"])
    assert cfn.status("loop") == "CREATE_COMPLETE"
    assert sorted(cfn.cloud.existing()) == ["Sleepera", "Sleeperb"]
    processed = json.loads(cfn.call("get_template", StackName="loop", TemplateStage="Processed")["TemplateBody"])
    assert list(processed["Resources"]) == ["Sleepera", "Sleeperb"] and "Transform" not in processed
    assert cfn.call("get_template", StackName="loop")["TemplateBody"] == LOOP
    # GetTemplateSummary of the stack processes the loop with the stack's values
    # (Names has no Default: without them it could not be processed at all).
    handlers = CloudFormationHandlers(cfn.runtime.registry.supported(), TemplateUrlPolicy(), api, cfn.runtime)
    summary = handlers.get_template_summary(cfn.caller, {"StackName": "loop"})
    assert summary["ResourceTypes"] == ["Test::Engine::Sleeper"]
    assert summary["Parameters"][0]["ParameterKey"] == "Names"

    cfn.call("update_stack", StackName="loop", UsePreviousTemplate=True, Parameters=params(Names="b,c"),
             Capabilities=["CAPABILITY_AUTO_EXPAND"])
    cfn.worker.run_until_idle()
    assert cfn.status("loop") == "UPDATE_COMPLETE"
    assert sorted(cfn.cloud.existing()) == ["Sleeperb", "Sleeperc"]
    processed = json.loads(cfn.call("get_template", StackName="loop", TemplateStage="Processed")["TemplateBody"])
    assert list(processed["Resources"]) == ["Sleeperb", "Sleeperc"]


def test_processed_stage_of_a_template_without_transforms_is_the_original(cfn):
    create(cfn, "plain", CHAIN, Parameters=params(Secret="x"))
    assert cfn.call("get_template", StackName="plain", TemplateStage="Processed")["TemplateBody"] == CHAIN


def test_change_set_processed_stage_and_changes_follow_its_own_values(cfn):
    cfn.call("create_change_set", StackName="cs", ChangeSetName="first", TemplateBody=LOOP, ChangeSetType="CREATE",
             Parameters=params(Names="x,y"), Capabilities=["CAPABILITY_AUTO_EXPAND"])
    processed = cfn.call("get_template", StackName="cs", ChangeSetName="first", TemplateStage="Processed")
    assert list(json.loads(processed["TemplateBody"])["Resources"]) == ["Sleeperx", "Sleepery"]
    cfn.runtime.wait_for_background()  # change sets are computed asynchronously
    changes = cfn.call("describe_change_set", StackName="cs", ChangeSetName="first")["Changes"]
    assert sorted(c["ResourceChange"]["LogicalResourceId"] for c in changes) == ["Sleeperx", "Sleepery"]
