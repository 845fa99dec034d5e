"""Record-only types driven directly: IAM's policy grammar and its sentences, versions that
count document changes, and EC2's checks on network ACL entries and launch templates."""

import pytest

from cfnapi.translate.base import ResourceFailure, ResourceState
from cfnapi.translate.ec2_recorded import LaunchTemplate, NetworkAclEntry
from cfnapi.translate.iam import ManagedPolicy, check_policy_document

READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


@pytest.mark.parametrize("document, kind, message", [
    ("{not json", "identity", "Syntax errors in policy."),
    ({"Version": "2012-10-17"}, "identity", "Syntax errors in policy."),
    ({"Statement": [{**READ, "Effect": "Permit"}]}, "identity", "Syntax errors in policy."),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "identity", "Policy statement must contain actions."),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "identity", "Policy statement must contain resources."),
    ({"Statement": [{**READ, "Principal": "*"}]}, "identity", "Policy document should not specify a principal."),
    ({"Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}}, "trust",
     "Policy statement must contain actions."),
])
def test_malformed_policy_documents_fail_with_iams_sentence(document, kind, message):
    with pytest.raises(ResourceFailure) as failure:
        check_policy_document(document, "where", kind)
    assert str(failure.value) == f"{message} (where)"


@pytest.mark.parametrize("document, kind", [
    ({"Version": "2012-10-17", "Statement": [READ]}, "identity"),
    ('{"Statement": {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "*"}}', "identity"),
    ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
     "trust"),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}, "resource"),
])
def test_well_formed_policy_documents_pass(document, kind):
    check_policy_document(document, "where", kind)


def _read_again(handler, world, state, props):
    """What the engine does after an in-place update: the new properties, the last attributes."""
    moved = ResourceState(state.logical_id, state.physical_id, props, state.attributes)
    return ResourceState(state.logical_id, state.physical_id, props, handler.attributes(world.ctx(), moved))


def test_a_managed_policy_document_change_makes_the_next_default_version(world):
    props = {"PolicyDocument": {"Statement": [READ]}, "Roles": ["a", "b"]}
    state = world.create(ManagedPolicy(), props, "Managed")
    assert state.physical_id == f"arn:aws:iam::123456789012:policy/{state.physical_id.rsplit('/', 1)[1]}"
    assert (state.attributes["DefaultVersionId"], state.attributes["AttachmentCount"]) == ("v1", 2)
    same = _read_again(ManagedPolicy(), world, state, {**props, "Roles": ["a"]})
    assert (same.attributes["DefaultVersionId"], same.attributes["AttachmentCount"]) == ("v1", 1)
    changed = _read_again(ManagedPolicy(), world, same, {**props, "PolicyDocument": {"Statement": [READ, READ]}})
    assert changed.attributes["DefaultVersionId"] == "v2"
    assert changed.attributes["CreateDate"] == state.attributes["CreateDate"]


def test_a_launch_template_data_change_is_a_new_latest_version_and_the_default_stays_1(world):
    props = {"LaunchTemplateName": "web", "LaunchTemplateData": {"ImageId": "cirros"}}
    state = world.create(LaunchTemplate(), props, "Template")
    assert (state.attributes["LatestVersionNumber"], state.attributes["DefaultVersionNumber"]) == ("1", "1")
    tagged = _read_again(LaunchTemplate(), world, state, {**props, "TagSpecifications": [{"Tags": []}]})
    assert tagged.attributes["LatestVersionNumber"] == "1"
    newer = _read_again(LaunchTemplate(), world, tagged, {**props, "LaunchTemplateData": {"ImageId": "ubuntu"}})
    assert (newer.attributes["LatestVersionNumber"], newer.attributes["DefaultVersionNumber"]) == ("2", "1")
    with pytest.raises(ResourceFailure, match="A launch template name must be between 3 and 128 characters"):
        LaunchTemplate().create(world.ctx(), {**props, "LaunchTemplateName": "no spaces allowed"})


@pytest.mark.parametrize("change, message", [
    ({"RuleAction": "maybe"}, "Invalid value 'maybe' for RuleAction: allow or deny"),
    ({"RuleNumber": 32767}, "RuleNumber must be between 1 and 32766"),
    ({"CidrBlock": None}, "Either CidrBlock or Ipv6CidrBlock must be specified"),
    ({"CidrBlock": "10.0.0.0/33"}, "Value (10.0.0.0/33) for parameter cidrBlock is invalid. "
                                   "This is not a valid CIDR block."),
    ({"CidrBlock": None, "Ipv6CidrBlock": "::/129"}, "Value (::/129) for parameter ipv6CidrBlock is invalid. "
                                                     "This is not a valid CIDR block."),
])
def test_network_acl_entries_are_checked_as_ec2_checks_them(world, change, message):
    props = {"NetworkAclId": "acl-0123456789abcdef0", "RuleNumber": 100, "Protocol": -1, "RuleAction": "allow",
             "CidrBlock": "0.0.0.0/0", **change}
    with pytest.raises(ResourceFailure) as failure:
        NetworkAclEntry().create(world.ctx(), props)
    assert str(failure.value) == message


def test_an_entry_may_name_a_vpcs_default_network_acl_and_no_unknown_one(world):
    from dataclasses import replace

    from cfnapi.translate.ec2_vpc import VPC

    vpc = world.create(VPC(), {"CidrBlock": "10.90.0.0/16"}, "Vpc")
    ctx = replace(world.ctx("Entry"), recorded_resources=lambda type_name, every_region=False: [])
    props = {"RuleNumber": 100, "Protocol": -1, "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}
    NetworkAclEntry().create(ctx, {**props, "NetworkAclId": vpc.attributes["DefaultNetworkAcl"]})
    with pytest.raises(ResourceFailure, match="^The networkAcl ID 'acl-0123456789abcdef0' does not exist$"):
        NetworkAclEntry().create(ctx, {**props, "NetworkAclId": "acl-0123456789abcdef0"})
