"""Parameter types: which names are valid, and how a supplied string is checked and converted."""

from __future__ import annotations

import re

from cfnapi.template.errors import format_error

BASIC_TYPES = frozenset({"String", "Number", "List<Number>", "CommaDelimitedList"})

# AWS-specific types whose values must name something that exists in the cloud.
CLOUD_TYPES = frozenset({
    "AWS::EC2::AvailabilityZone::Name", "AWS::EC2::Image::Id", "AWS::EC2::Instance::Id",
    "AWS::EC2::KeyPair::KeyName", "AWS::EC2::SecurityGroup::GroupName", "AWS::EC2::SecurityGroup::Id",
    "AWS::EC2::Subnet::Id", "AWS::EC2::Volume::Id", "AWS::EC2::VPC::Id",
    "AWS::Route53::HostedZone::Id",
})
SSM_NAME_TYPE = "AWS::SSM::Parameter::Name"
_SSM_VALUE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")
_LIST = re.compile(r"^List<(.+)>$")


def ssm_value_inner_type(parameter_type: str) -> str | None:
    """``AWS::SSM::Parameter::Value<T>`` → ``T``; None for other types."""
    match = _SSM_VALUE.match(parameter_type)
    return match.group(1) if match else None


def list_item_type(parameter_type: str) -> str | None:
    """``List<T>`` → ``T``, ``CommaDelimitedList`` → ``String``; None for scalar types."""
    if parameter_type == "CommaDelimitedList":
        return "String"
    match = _LIST.match(parameter_type)
    return match.group(1) if match else None


def is_valid_type(parameter_type: object) -> bool:
    if not isinstance(parameter_type, str):
        return False
    if parameter_type in BASIC_TYPES or parameter_type in CLOUD_TYPES or parameter_type == SSM_NAME_TYPE:
        return True
    item = list_item_type(parameter_type)
    if item is not None:
        return item in CLOUD_TYPES or item == "Number"
    inner = ssm_value_inner_type(parameter_type)
    if inner is not None:
        inner_item = list_item_type(inner)
        return inner in ("String", "CommaDelimitedList") or inner in CLOUD_TYPES or (
            inner_item is not None and (inner_item in CLOUD_TYPES or inner_item == "String")
        )
    return False


def check_parameter_type(parameter_type: object) -> None:
    if not is_valid_type(parameter_type):
        raise format_error(f"Unrecognized parameter type: {parameter_type}")
