"""Which capabilities (CAPABILITY_IAM / _NAMED_IAM / _AUTO_EXPAND) a template needs."""

from __future__ import annotations

from cfnapi.template.model import Template

# IAM types whose creation needs CAPABILITY_IAM, with the property that gives
# the resource a custom name (which raises the need to CAPABILITY_NAMED_IAM).
IAM_NAME_PROPERTIES: dict[str, str | None] = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::GroupPolicy": None,
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::RolePolicy": None,
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserPolicy": None,
    "AWS::IAM::UserToGroupAddition": None,
}


def required_capabilities(template: Template) -> tuple[list[str], str]:
    """(capabilities, CapabilitiesReason); ([], "") when none are needed."""
    iam_types: list[str] = []
    named = False
    for resource in template.resources.values():
        if resource.type not in IAM_NAME_PROPERTIES:
            continue
        if resource.type not in iam_types:
            iam_types.append(resource.type)
        name_property = IAM_NAME_PROPERTIES[resource.type]
        properties = resource.properties if isinstance(resource.properties, dict) else {}
        if name_property is not None and name_property in properties:
            named = True
    capabilities: list[str] = []
    if iam_types:
        capabilities.append("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
    if template.transforms:
        capabilities.append("CAPABILITY_AUTO_EXPAND")
    needing = iam_types + list(template.transforms)
    reason = f"The following resource(s) require capabilities: [{', '.join(needing)}]" if needing else ""
    return capabilities, reason
