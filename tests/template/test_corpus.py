"""Every real template in the shared corpus loads, validates, and summarises as AWS would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfnapi.template import (
    check_against_types, dependency_order_check, parse_template, required_capabilities, template_summary,
    validate_template_result,
)
from cfnapi.template.summary import resource_types

CORPUS = Path("/work/shared/corpus/aws-samples")
TEMPLATES = sorted(CORPUS.glob("*.yaml"))

# Per template: parameters as (key, default, NoEcho), capabilities, resource types (first-use order).
EXPECTED = {
    "AutoScaling_AutoScalingMultiAZWithNotifications.yaml": (
        [("InstanceType", "t4g.micro", False), ("OperatorEMail", None, False), ("KeyName", None, False),
         ("SSHLocation", "192.168.1.0/24", False),
         ("LatestAmiId", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64", False),
         ("KmsKeyArn", None, False), ("CertificateArn", None, False), ("SecurityGroups", None, False),
         ("Subnets", None, False), ("AZs", None, False), ("VPC", None, False)],
        [],
        ["AWS::SNS::Topic", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup",
         "AWS::AutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm", "AWS::ElasticLoadBalancingV2::LoadBalancer",
         "AWS::EC2::SecurityGroup", "AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::TargetGroup"],
    ),
    "CloudFormation_fn-foreach-s3-outputs.yaml": ([], ["CAPABILITY_AUTO_EXPAND"], ["AWS::S3::Bucket"]),
    "EC2_EC2InstanceWithSecurityGroupSample.yaml": (
        [("KeyName", None, False), ("InstanceType", "t3.small", False), ("SSHLocation", "192.168.1.0/0", False),
         ("LatestAmiId", "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2", False),
         ("Subnets", None, False)],
        [],
        ["AWS::EC2::Instance", "AWS::EC2::SecurityGroup"],
    ),
    "EC2_EIP_With_Association.yaml": (
        [("InstanceType", "t3.small", False), ("KeyName", None, False), ("SSHLocation", "0.0.0.0/0", False),
         ("LatestAmiId", "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2", False),
         ("Subnets", None, False)],
        [],
        ["AWS::EC2::Instance", "AWS::EC2::SecurityGroup", "AWS::EC2::EIP", "AWS::EC2::EIPAssociation"],
    ),
    "EC2_InstanceWithCfnInit.yaml": ([], [], ["AWS::EC2::Instance"]),
    "EC2_ec2_with_waitcondition_template.yaml": (
        [("KeyName", "slinger_testing", False), ("InstanceName", None, False), ("InstanceType", "c4.2xlarge", False),
         ("ImageId", None, False), ("VpcId", None, False), ("SubnetId", None, False),
         ("SSHLocation", "0.0.0.0/0", False), ("BudgetCode", "A019517", False),
         ("LaunchPlatform", "bitstorm_dev", False), ("LaunchUser", "null", False), ("TestID", None, False),
         ("TestTarget", None, False), ("AgentID", None, False), ("IsMaster", "False", False),
         ("MasterID", "null", False)],
        [],
        ["AWS::EC2::Instance", "AWS::CloudFormation::WaitConditionHandle", "AWS::CloudFormation::WaitCondition",
         "AWS::EC2::SecurityGroup"],
    ),
    "ElasticLoadBalancing_ELBStickinessSample.yaml": (
        [("LatestAmiId", "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2", False),
         ("InstanceType", "t2.small", False), ("KeyName", None, False), ("SSHLocation", "0.0.0.0/0", False),
         ("SubnetId", None, False)],
        [],
        ["AWS::ElasticLoadBalancing::LoadBalancer", "AWS::EC2::Instance", "AWS::EC2::SecurityGroup"],
    ),
    "RDS_RDS_Snapshot_On_Delete.yaml": ([], [], ["AWS::RDS::DBInstance"]),
    "S3_compliant-bucket.yaml": (
        [("AppName", None, False)],
        ["CAPABILITY_IAM"],
        ["AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::Role"],
    ),
    "SNS_SNSTopic.yaml": (
        [("SubscriptionEndPoint", None, False), ("SubscriptionProtocol", "sqs", False)],
        [],
        ["AWS::SNS::Topic", "AWS::SNS::Subscription"],
    ),
    "SQS_SQSStandardQueue.yaml": (
        [("DelaySeconds", "5", False), ("MaximumMessageSize", "262144", False),
         ("MessageRetentionPeriod", "345600", False), ("ReceiveMessageWaitTimeSeconds", "0", False),
         ("UsedeadletterQueue", "false", False), ("VisibilityTimeout", "5", False),
         ("KmsMasterKeyIdForSqs", "alias/aws/sqs", False)],
        [],
        ["AWS::SQS::Queue"],
    ),
    "Solutions_OperatingSystems_Ubuntu22.04_cfn-hup.yaml": (
        [("KeyName", None, False), ("InstanceType", "t2.small", False), ("SSHLocation", "0.0.0.0/0", False),
         ("SubnetId", None, False),
         ("InstanceAMI", "/aws/service/canonical/ubuntu/eks-pro/22.04/1.29/stable/current/amd64/hvm/ebs-gp2/ami-id", False)],
        [],
        ["AWS::EC2::Instance", "AWS::EC2::SecurityGroup"],
    ),
    "VPC_VPC_With_Managed_NAT_And_Private_Subnet.yaml": (
        [("VPCName", "VPC Public and Private with NAT", False)],
        [],
        ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
         "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation",
         "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry", "AWS::EC2::SubnetNetworkAclAssociation",
         "AWS::EC2::EIP", "AWS::EC2::NatGateway"],
    ),
}


# CapabilitiesReason of the templates that need capabilities (AWS's wording).
EXPECTED_REASONS = {
    "CloudFormation_fn-foreach-s3-outputs.yaml":
        "The following resource(s) require capabilities: [AWS::LanguageExtensions]",
    "S3_compliant-bucket.yaml": "The following resource(s) require capabilities: [AWS::IAM::RolePolicy, AWS::IAM::Role]",
}


def _independent_reading(path: Path) -> dict:
    """The template as cfn-lint's own decoder reads it: an oracle that shares no code with ours."""
    from cfnlint.decode import decode_str

    data, problems = decode_str(path.read_text())
    assert not problems, problems
    return json.loads(json.dumps(data))


def _as_reported(value: object) -> str:
    """A parameter attribute as CloudFormation reports it: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_reported(item) for item in value)
    return str(value)


def _primary_identifier(resource_type: str) -> list[str]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return [pointer.rsplit("/", 1)[-1] for pointer in schema.get("primaryIdentifier", [])]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_corpus_template_every_field_against_an_independent_reading(path: Path) -> None:
    raw = _independent_reading(path)
    template = parse_template(path.read_text())
    check_against_types(template, resource_types(template))  # types, cycles, GetAtt attributes
    validated, summary = validate_template_result(template), template_summary(template)

    raw_parameters = raw.get("Parameters") or {}
    for result in (validated, summary):
        assert [p["ParameterKey"] for p in result["Parameters"]] == list(raw_parameters)
        for entry in result["Parameters"]:
            declared = raw_parameters[entry["ParameterKey"]]
            no_echo = _as_reported(declared.get("NoEcho", False)).lower() == "true"
            assert entry["NoEcho"] is no_echo
            if "Default" in declared:
                assert entry["DefaultValue"] == ("****" if no_echo else _as_reported(declared["Default"]))
            else:
                assert "DefaultValue" not in entry
            assert entry.get("Description") == declared.get("Description")
    for entry in summary["Parameters"]:
        declared = raw_parameters[entry["ParameterKey"]]
        assert entry["ParameterType"] == declared["Type"]
        allowed = [_as_reported(value) for value in declared.get("AllowedValues", [])]
        assert entry["ParameterConstraints"] == ({"AllowedValues": allowed} if allowed else {})

    transform = raw.get("Transform")
    declared_transforms = [] if transform is None else (transform if isinstance(transform, list) else [transform])
    assert validated["DeclaredTransforms"] == summary["DeclaredTransforms"] == declared_transforms
    assert validated.get("Description") == summary.get("Description") == raw.get("Description")
    assert summary["Version"] == str(raw.get("AWSTemplateFormatVersion", "2010-09-09"))
    if raw.get("Metadata"):
        assert json.loads(summary["Metadata"]) == raw["Metadata"]
    else:
        assert "Metadata" not in summary

    reason = EXPECTED_REASONS.get(path.name)
    for result in (validated, summary):
        assert result.get("CapabilitiesReason") == reason
        assert ("Capabilities" in result) is (reason is not None)

    # Every logical id once, under its type, with the identifiers AWS's schema declares.
    summaries = summary.get("ResourceIdentifierSummaries", [])
    listed = [logical_id for entry in summaries for logical_id in entry["LogicalResourceIds"]]
    assert len(listed) == len(set(listed))
    for entry in summaries:
        assert entry["ResourceIdentifiers"] == _primary_identifier(entry["ResourceType"]) != []
        assert all(template.resources[lid].type == entry["ResourceType"] for lid in entry["LogicalResourceIds"])
    with_identifiers = {entry["ResourceType"] for entry in summaries}
    assert sorted(listed) == sorted(lid for lid, r in template.resources.items() if r.type in with_identifiers)
    assert [entry["ResourceType"] for entry in summaries] == [
        kind for kind in summary["ResourceTypes"] if _primary_identifier(kind)
    ]
    if not declared_transforms:
        assert list(template.resources) == list(raw["Resources"])


def test_every_corpus_template_has_expectations() -> None:
    assert sorted(path.name for path in TEMPLATES) == sorted(EXPECTED)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_corpus_template_key_fields(path: Path) -> None:
    template = parse_template(path.read_text())
    dependency_order_check(template)
    parameters, capabilities, resource_types = EXPECTED[path.name]
    validated = validate_template_result(template)
    summary = template_summary(template)
    assert [(p["ParameterKey"], p.get("DefaultValue"), p["NoEcho"]) for p in validated["Parameters"]] == parameters
    assert [(p["ParameterKey"], p.get("DefaultValue"), p["NoEcho"]) for p in summary["Parameters"]] == parameters
    assert validated.get("Capabilities", []) == capabilities == summary.get("Capabilities", [])
    assert summary["ResourceTypes"] == resource_types
    assert validated["Description"] == summary["Description"] == template.description
    for validated_entry, summary_entry in zip(validated["Parameters"], summary["Parameters"]):
        definition = template.parameters[validated_entry["ParameterKey"]]
        assert validated_entry.get("Description") == summary_entry.get("Description") == definition.description
        assert summary_entry["ParameterType"] == definition.type
        assert summary_entry["ParameterConstraints"].get("AllowedValues", []) == list(definition.allowed_values)


def test_sns_topic_fully() -> None:
    template = parse_template((CORPUS / "SNS_SNSTopic.yaml").read_text())
    assert validate_template_result(template) == {
        "Parameters": [
            {"ParameterKey": "SubscriptionEndPoint", "NoEcho": False,
             "Description": "The endpoint that receives notifications from the Amazon SNS topic. The endpoint "
                            "value depends on the protocol that you specify. This could be a URL or ARN"},
            {"ParameterKey": "SubscriptionProtocol", "DefaultValue": "sqs", "NoEcho": False,
             "Description": "The subscription's protocol"},
        ],
        "Description": "Best Practice SNS Topic",
        "DeclaredTransforms": [],
    }
    summary = template_summary(template)
    assert summary["Parameters"][1]["ParameterConstraints"] == {
        "AllowedValues": ["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda"]
    }
    assert summary["Version"] == "2010-09-09"
    assert summary["ResourceIdentifierSummaries"] == [
        {"ResourceType": "AWS::SNS::Topic", "LogicalResourceIds": ["SNSTopic"], "ResourceIdentifiers": ["TopicArn"]},
        {"ResourceType": "AWS::SNS::Subscription", "LogicalResourceIds": ["SNSSubscription"], "ResourceIdentifiers": ["Arn"]},
    ]


def test_rds_snapshot_fully() -> None:
    template = parse_template((CORPUS / "RDS_RDS_Snapshot_On_Delete.yaml").read_text())
    summary = template_summary(template)
    assert summary["Parameters"] == []
    assert summary["Metadata"] == json.dumps({"License": "Apache-2.0"}, separators=(",", ":"))
    assert summary["ResourceTypes"] == ["AWS::RDS::DBInstance"]
    assert template.resources["MyDB"].deletion_policy == "Snapshot"
    assert summary["ResourceIdentifierSummaries"] == [
        {"ResourceType": "AWS::RDS::DBInstance", "LogicalResourceIds": ["MyDB"],
         "ResourceIdentifiers": ["DBInstanceIdentifier"]}
    ]


def test_compliant_bucket_capabilities_fully() -> None:
    template = parse_template((CORPUS / "S3_compliant-bucket.yaml").read_text())
    assert required_capabilities(template) == (
        ["CAPABILITY_IAM"], "The following resource(s) require capabilities: [AWS::IAM::RolePolicy, AWS::IAM::Role]"
    )


def test_for_each_sample_fully() -> None:
    template = parse_template((CORPUS / "CloudFormation_fn-foreach-s3-outputs.yaml").read_text())
    assert list(template.resources) == ["S3BucketA", "S3BucketB", "S3BucketC"]
    assert list(template.outputs) == ["S3BucketAArn", "S3BucketBArn", "S3BucketCArn"]
    assert template.outputs["S3BucketBArn"].value.resource == "S3BucketB"
    assert validate_template_result(template) == {
        "Parameters": [],
        "Description": "Demonstrate using the Fn::ForEach function to create multiple buckets and outputs for each one",
        "Capabilities": ["CAPABILITY_AUTO_EXPAND"],
        "CapabilitiesReason": "The following resource(s) require capabilities: [AWS::LanguageExtensions]",
        "DeclaredTransforms": ["AWS::LanguageExtensions"],
    }


def test_no_echo_and_named_iam_in_validate_result() -> None:
    template = parse_template(
        "Parameters:\n  Pw: {Type: String, NoEcho: 'true', Default: secret, Description: pw}\n"
        "Resources:\n  Role: {Type: AWS::IAM::Role, Properties: {RoleName: fixed}}\n"
    )
    assert validate_template_result(template) == {
        "Parameters": [{"ParameterKey": "Pw", "DefaultValue": "****", "NoEcho": True, "Description": "pw"}],
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "CapabilitiesReason": "The following resource(s) require capabilities: [AWS::IAM::Role]",
        "DeclaredTransforms": [],
    }
