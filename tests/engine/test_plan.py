"""The pure plan: which action each kind of change leads to, and how change sets report it."""

import pytest

from cfnapi.engine.plan import Action, ResourceSnapshot, change_set_changes, diff_resource, plan_update
from cfnapi.translate.testing import SLEEPER_TYPE, test_registry

REGISTRY = test_registry()


def behaviour(type_name, prop):
    return REGISTRY.class_for(type_name).update_behaviour(prop)


def snap(**props):
    return ResourceSnapshot(SLEEPER_TYPE, props, physical_id="pid-1")


@pytest.mark.parametrize(
    "old, new, action, replacement",
    [
        (snap(Value="a"), snap(Value="a"), Action.KEEP, None),
        (snap(Value="a"), snap(Value="b"), Action.UPDATE, "False"),
        (snap(Value="a"), snap(), Action.UPDATE, "False"),  # removing a mutable property
        (snap(ReplaceMe="a"), snap(ReplaceMe="b"), Action.REPLACE, "True"),
        (snap(Value="a", ReplaceMe="a"), snap(Value="b", ReplaceMe="b"), Action.REPLACE, "True"),
        (snap(MaybeReplace="a"), snap(MaybeReplace="b"), Action.UPDATE, "Conditional"),
        (snap(Value="a"), ResourceSnapshot("AWS::CloudFormation::WaitConditionHandle", {}), Action.REPLACE, "True"),
        (None, snap(Value="a"), Action.CREATE, None),
        (snap(Value="a"), None, Action.DELETE, None),
    ],
)
def test_diff_resource_actions(old, new, action, replacement):
    change = diff_resource("R", old, new, behaviour)
    assert change.action is action
    assert change.replacement == replacement


def test_metadata_only_change_is_a_modify_without_replacement():
    old = ResourceSnapshot(SLEEPER_TYPE, {"Value": "a"}, "p", metadata={"k": 1})
    new = ResourceSnapshot(SLEEPER_TYPE, {"Value": "a"}, "p", metadata={"k": 2})
    change = diff_resource("R", old, new, behaviour)
    assert (change.action, change.replacement, change.scope) == (Action.UPDATE, "False", ("Metadata",))


def test_undeclared_property_falls_back_to_the_aws_provider_schema():
    from cfnapi.translate.base import ResourceType

    class Bucket(ResourceType):
        type_name = "AWS::S3::Bucket"

    assert Bucket.update_behaviour("BucketName") == "replace"
    assert Bucket.update_behaviour("VersioningConfiguration") == "mutable"


def test_change_set_changes_shape():
    current = {
        "Keep": snap(Value="a"),
        "Mod": snap(Value="a"),
        "Rep": snap(ReplaceMe="a", Tags=[{"Key": "k", "Value": "1"}]),
        "Gone": snap(),
        "Child": snap(Inputs="x"),
    }
    desired = {
        "Keep": snap(Value="a"),
        "Mod": snap(Value="b"),
        "Rep": snap(ReplaceMe="b", Tags=[{"Key": "k", "Value": "2"}]),
        "New": ResourceSnapshot(SLEEPER_TYPE, {}),
        "Child": snap(Inputs="x"),
    }
    plan = plan_update(current, desired, behaviour, dependencies={"Child": frozenset({"Rep"})})
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in change_set_changes(plan)}
    assert set(changes) == {"Mod", "Rep", "New", "Gone", "Child"}
    assert changes["Mod"] == {
        "Action": "Modify",
        "LogicalResourceId": "Mod",
        "PhysicalResourceId": "pid-1",
        "ResourceType": SLEEPER_TYPE,
        "Replacement": "False",
        "Scope": ["Properties"],
        "Details": [
            {
                "Target": {"Attribute": "Properties", "Name": "Value", "RequiresRecreation": "Never"},
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
        ],
    }
    assert changes["Rep"]["Replacement"] == "True"
    assert changes["Rep"]["Scope"] == ["Properties", "Tags"]
    assert changes["New"]["Action"] == "Add" and "PhysicalResourceId" not in changes["New"]
    assert changes["Gone"]["Action"] == "Remove"
    assert changes["Child"]["Replacement"] == "Conditional"
    assert changes["Child"]["Details"][0]["ChangeSource"] == "ResourceReference"
    assert changes["Child"]["Details"][0]["CausingEntity"] == "Rep"
    assert plan.has_changes


def test_identical_stack_has_no_changes():
    current = {"A": snap(Value="a")}
    assert not plan_update(current, {"A": snap(Value="a")}, behaviour).has_changes


def test_references_to_a_replaced_resource_are_reported_per_property_and_by_kind():
    current = {"Base": snap(ReplaceMe="a"), "ByRef": snap(Value="pid-1"), "ByAtt": snap(ReplaceMe="arn")}
    desired = {"Base": snap(ReplaceMe="b"), "ByRef": snap(Value="pid-1"), "ByAtt": snap(ReplaceMe="arn")}
    causes = {
        "Base": {"ReplaceMe": (("ParameterReference", "Size"),)},
        "ByRef": {"Value": (("ResourceReference", "Base"),)},
        "ByAtt": {"ReplaceMe": (("ResourceAttribute", "Base.Arn"),)},
    }
    deps = {"ByRef": frozenset({"Base"}), "ByAtt": frozenset({"Base"})}
    plan = plan_update(current, desired, behaviour, deps, causes)
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in change_set_changes(plan)}
    assert changes["ByRef"]["Replacement"] == "False"  # an in-place property takes the new id
    assert changes["ByRef"]["Details"] == [{
        "Target": {"Attribute": "Properties", "Name": "Value", "RequiresRecreation": "Never"},
        "Evaluation": "Dynamic", "ChangeSource": "ResourceReference", "CausingEntity": "Base",
    }]
    assert changes["ByAtt"]["Replacement"] == "Conditional"
    assert changes["ByAtt"]["Details"][0]["ChangeSource"] == "ResourceAttribute"
    assert changes["ByAtt"]["Details"][0]["CausingEntity"] == "Base.Arn"
    assert changes["ByAtt"]["Details"][0]["Target"]["RequiresRecreation"] == "Always"


def test_tags_target_has_no_name():
    plan = plan_update({"R": snap(Tags=[1])}, {"R": snap(Tags=[2])}, behaviour)
    (change,) = change_set_changes(plan)
    assert change["ResourceChange"]["Details"][0]["Target"] == {"Attribute": "Tags", "RequiresRecreation": "Never"}
