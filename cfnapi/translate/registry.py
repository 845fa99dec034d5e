"""The one table from AWS type name to the class that implements it.

Adding a type means adding a line here — nothing registers itself on import,
so what a server supports is visible in one place.
"""

from __future__ import annotations

from collections.abc import Mapping

from cfnapi.errors import validation_error
from cfnapi.translate.base import ResourceType


def builtin_resource_types() -> dict[str, type[ResourceType]]:
    """Every type this server implements. Imports are local so that loading
    the table does not load every provider module twice over on import cycles."""
    from cfnapi.engine.wait_conditions import WaitCondition, WaitConditionHandle
    from cfnapi.translate import (
        autoscaling,
        autoscaling_policies,
        cfn_stack,
        cloudwatch_alarm,
        ec2_address,
        ec2_instance,
        ec2_interface,
        ec2_keypair,
        ec2_recorded,
        ec2_routing,
        ec2_security,
        ec2_storage,
        ec2_vpc,
        iam,
        s3,
        sns,
        ssm,
    )

    return {
        "AWS::CloudFormation::Stack": cfn_stack.NestedStack,
        "AWS::CloudFormation::WaitCondition": WaitCondition,
        "AWS::CloudFormation::WaitConditionHandle": WaitConditionHandle,
        "AWS::EC2::Instance": ec2_instance.Instance,
        "AWS::EC2::KeyPair": ec2_keypair.KeyPair,
        "AWS::EC2::SecurityGroup": ec2_security.SecurityGroup,
        "AWS::EC2::SecurityGroupIngress": ec2_security.SecurityGroupIngress,
        "AWS::EC2::SecurityGroupEgress": ec2_security.SecurityGroupEgress,
        "AWS::EC2::EIP": ec2_address.EIP,
        "AWS::EC2::EIPAssociation": ec2_address.EIPAssociation,
        "AWS::EC2::Volume": ec2_storage.Volume,
        "AWS::EC2::VolumeAttachment": ec2_storage.VolumeAttachment,
        "AWS::EC2::VPC": ec2_vpc.VPC,
        "AWS::EC2::Subnet": ec2_vpc.Subnet,
        "AWS::EC2::InternetGateway": ec2_routing.InternetGateway,
        "AWS::EC2::VPCGatewayAttachment": ec2_routing.VPCGatewayAttachment,
        "AWS::EC2::RouteTable": ec2_routing.RouteTable,
        "AWS::EC2::Route": ec2_routing.Route,
        "AWS::EC2::SubnetRouteTableAssociation": ec2_routing.SubnetRouteTableAssociation,
        "AWS::EC2::NatGateway": ec2_routing.NatGateway,
        "AWS::EC2::NetworkInterface": ec2_interface.NetworkInterface,
        "AWS::EC2::NetworkAcl": ec2_recorded.NetworkAcl,
        "AWS::EC2::NetworkAclEntry": ec2_recorded.NetworkAclEntry,
        "AWS::EC2::SubnetNetworkAclAssociation": ec2_recorded.SubnetNetworkAclAssociation,
        "AWS::EC2::LaunchTemplate": ec2_recorded.LaunchTemplate,
        "AWS::SSM::Parameter": ssm.Parameter,
        "AWS::S3::Bucket": s3.Bucket,
        "AWS::S3::BucketPolicy": s3.BucketPolicy,
        "AWS::SNS::Topic": sns.Topic,
        "AWS::SNS::Subscription": sns.Subscription,
        "AWS::SNS::TopicPolicy": sns.TopicPolicy,
        "AWS::IAM::User": iam.User,
        "AWS::IAM::AccessKey": iam.AccessKey,
        "AWS::IAM::Role": iam.Role,
        "AWS::IAM::Policy": iam.Policy,
        "AWS::IAM::RolePolicy": iam.RolePolicy,
        "AWS::IAM::ManagedPolicy": iam.ManagedPolicy,
        "AWS::IAM::InstanceProfile": iam.InstanceProfile,
        "AWS::CloudWatch::Alarm": cloudwatch_alarm.Alarm,
        "AWS::AutoScaling::LaunchConfiguration": autoscaling.LaunchConfiguration,
        "AWS::AutoScaling::AutoScalingGroup": autoscaling.AutoScalingGroup,
        "AWS::AutoScaling::ScalingPolicy": autoscaling_policies.ScalingPolicy,
        "AWS::AutoScaling::ScheduledAction": autoscaling_policies.ScheduledAction,
    }


class TypeRegistry:
    """Looks up (and instantiates once) the class for a type name."""

    def __init__(self, table: Mapping[str, type[ResourceType]]):
        self._classes = dict(table)
        self._instances: dict[str, ResourceType] = {}

    def supported(self) -> frozenset[str]:
        return frozenset(self._classes)

    def __contains__(self, type_name: str) -> bool:
        return type_name in self._classes

    def class_for(self, type_name: str) -> type[ResourceType]:
        try:
            return self._classes[type_name]
        except KeyError:
            raise validation_error(
                f"Template format error: Unrecognized resource types: [{type_name}]"
            ) from None

    def attribute_names(self, type_name: str) -> tuple[str, ...]:
        """The Fn::GetAtt attributes this server's implementation of the type offers."""
        cls = self._classes.get(type_name)
        return cls.attribute_names if cls is not None else ()

    def handler(self, type_name: str) -> ResourceType:
        instance = self._instances.get(type_name)
        if instance is None:
            instance = self._instances[type_name] = self.class_for(type_name)()
        return instance

    def with_types(self, extra: Mapping[str, type[ResourceType]]) -> "TypeRegistry":
        return TypeRegistry({**self._classes, **extra})


def default_registry() -> TypeRegistry:
    return TypeRegistry(builtin_resource_types())
