"""AWS::EC2::Instance launched from an AWS::EC2::LaunchTemplate, through the engine on the sim."""

from cfnapi.engine import api
from tests.translate.test_autoscaling import _failures, harness  # noqa: F401  (the engine harness fixture)

UBUNTU = "0e7c4a9d-2b5f-4c3a-8e61-7f8a9b0c1d02"
CIRROS = "6d1a3b2e-8f0c-4b7e-9a51-1c2d3e4f5a01"

TEMPLATE = """
Parameters:
  Image: {Type: String, Default: ubuntu-22.04}
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateName: web-template
      LaunchTemplateData:
        ImageId: !Ref Image
        InstanceType: t2.medium
        KeyName: default
        TagSpecifications: [{ResourceType: instance, Tags: [{Key: Role, Value: web}]}]
  ById:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber}
  ByNameOverridden:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateName: web-template, Version: $Default}
      InstanceType: t2.micro
      ImageId: cirros-0.6.2-x86_64-disk
    DependsOn: Template
"""


def _server(harness, logical_id):
    physical_id = api.describe_stack_resource(harness.runtime, harness.caller, {
        "StackName": "web", "LogicalResourceId": logical_id})["StackResourceDetail"]["PhysicalResourceId"]
    return harness.world.cloud.get_server(physical_id)


def test_instance_takes_the_template_version_and_its_own_properties_win(harness):
    assert harness.create(TEMPLATE)["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())
    cloud = harness.world.cloud
    by_id, by_name = _server(harness, "ById"), _server(harness, "ByNameOverridden")
    assert (by_id.image_id, by_id.key_name, by_id.metadata.get("Role")) == (UBUNTU, "default", "web")
    assert cloud.get_flavor(by_id.flavor_id).vcpus == 2  # t2.medium from the template
    assert (by_name.image_id, by_name.key_name) == (CIRROS, "default")  # own ImageId, template's key
    assert cloud.get_flavor(by_name.flavor_id).vcpus == 1  # own t2.micro


def test_unknown_version_and_unknown_name_fail_the_create(harness):
    template = TEMPLATE.replace("Version: !GetAtt Template.LatestVersionNumber", "Version: '7'")
    harness.create(template)
    failures = dict(_failures(harness.events()))
    assert "version, 7, for template lt-" in failures["ById"]
    harness.create(TEMPLATE.replace("LaunchTemplateName: web-template, Version", "LaunchTemplateName: nope, Version"),
                   name="other")
    assert ("ByNameOverridden", "The specified launch template, with template name nope, does not exist.") in \
        _failures(harness.events("other"))


def test_a_new_template_version_reaches_latest_but_not_default(harness):
    template = TEMPLATE.replace("      ImageId: cirros-0.6.2-x86_64-disk\n", "")  # ByNameOverridden: the image too
    assert harness.create(template)["StackStatus"] == "CREATE_COMPLETE", _failures(harness.events())
    before = _server(harness, "ById").id
    api.update_stack(harness.runtime, harness.caller, {
        "StackName": "web", "TemplateBody": template,
        "Parameters": [{"ParameterKey": "Image", "ParameterValue": "cirros-0.6.2-x86_64-disk"}]})
    harness.run_stacks()
    assert harness.stack()["StackStatus"] == "UPDATE_COMPLETE", _failures(harness.events())
    latest = _server(harness, "ById")
    assert latest.id != before and latest.image_id == CIRROS  # Version 2 is a new LaunchTemplate value: replaced
    assert _server(harness, "ByNameOverridden").image_id == UBUNTU  # $Default is still version 1
