"""The corpus templates the cloud layer supports, through the openstacksdk
provider against real Nova, Neutron, Glance, Cinder, Swift and Keystone:
CREATE_COMPLETE, outputs, an update in place, an update with replacement,
delete — and afterwards the project holds nothing the stacks made. Where a
template waits for cfn-signal, the test signals on the instance's behalf
(the box's instances never run their user data)."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from conformance.corpus import CAPABILITIES, CORPUS_DIR, PARAMS_DIR

from .box import delete_and_wait, parameters, reasons, unique, wait_for_stack
from .box_corpus import BoxRun, run_sample

EC2_SAMPLES = ["EC2_EC2InstanceWithSecurityGroupSample", "EC2_EIP_With_Association"]
# Another image through the same SSM alias mechanism: ImageId changes, so AWS replaces the instance.
OTHER_AMI = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"


def corpus_template(stem: str) -> str:
    path = CORPUS_DIR / "aws-samples" / f"{stem}.yaml"
    if not path.is_file():
        pytest.skip(f"corpus template {path} not present")
    return path.read_text()


@pytest.mark.parametrize("stem", EC2_SAMPLES)
def test_ec2_sample_creates_updates_replaces_and_deletes_leaving_nothing(stem, cfn, project_conn, leaves_nothing):
    body = corpus_template(stem)
    spec = json.loads((PARAMS_DIR / f"{stem}.json").read_text())
    # The sim's subnet id in the parameter file becomes the box's seeded private subnet.
    values = dict(spec["parameters"], Subnets=project_conn.network.find_subnet("private-subnet").id)
    name = unique(stem.replace("_", "-"))[:100]

    cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters(values), Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    for key, pattern in spec.get("outputs", {}).items():
        assert re.search(pattern, outputs[key]), (key, outputs[key])
    server = project_conn.compute.get_server(outputs["InstanceId"])
    assert server.status == "ACTIVE"
    assert server.key_name == values["KeyName"]

    values.update(spec["update"])
    cfn.update_stack(StackName=name, TemplateBody=body, Parameters=parameters(values), Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["InstanceId"] == outputs["InstanceId"]

    values["LatestAmiId"] = OTHER_AMI
    cfn.update_stack(StackName=name, TemplateBody=body, Parameters=parameters(values), Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    replaced = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["InstanceId"]
    assert replaced != outputs["InstanceId"]
    assert project_conn.compute.find_server(outputs["InstanceId"]) is None
    new_server = project_conn.compute.get_server(replaced)
    assert project_conn.image.get_image(new_server.image["id"]).name == "ubuntu-22.04"

    delete_and_wait(cfn, name)


def test_vpc_with_nat_gateways_creates_and_deletes_leaving_nothing(cfn, leaves_nothing):
    # Networks, subnets, routers with gateways and routes, EIPs and NAT gateways
    # through real Neutron; the box's floating IPs and router ports stay DOWN.
    body = corpus_template("VPC_VPC_With_Managed_NAT_And_Private_Subnet")
    name = unique("vpc-nat")
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=CAPABILITIES)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    cfn.update_stack(StackName=name, TemplateBody=body, Capabilities=CAPABILITIES,
                     Parameters=[{"ParameterKey": "VPCName", "ParameterValue": "renamed"}])
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    delete_and_wait(cfn, name)


# ---------------------------------------------------------------- samples run from their parameter files

UBUNTU_24_AMI = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"


def private_subnet(conn) -> dict:
    subnet = conn.network.find_subnet("private-subnet")
    return {"SubnetId": subnet.id}


def private_network_and_image(conn) -> dict:
    subnet = conn.network.find_subnet("private-subnet")
    return {"SubnetId": subnet.id, "VpcId": subnet.network_id, "TestTarget": "box",
            "ImageId": conn.image.find_image("ubuntu-22.04").id}


def with_values(**changes):
    """An update that changes parameters only; a callable value is computed from the box connection."""
    def update(body, values, conn):
        return body, {**values, **{k: v(conn) if callable(v) else v for k, v in changes.items()}}
    return update


def template_edit(old: str, new: str, *, count: int = 1):
    """An update that edits the template (for samples whose parameters force nothing)."""
    def update(body, values, conn):
        assert body.count(old) == count, f"the sample changed: {old!r} found {body.count(old)} times"
        return body.replace(old, new), values
    return update


BOX_RUNS = [
    BoxRun("EC2_ec2_with_waitcondition_template", box_values=private_network_and_image,
           # In place (tags, security group rule), plus a new image: the instance is replaced.
           update=with_values(InstanceName="kwos-renamed", SSHLocation="10.9.0.0/16",
                              ImageId=lambda conn: conn.image.find_image("ubuntu-24.04").id),
           keeps=("KWOSSecurityGroup", "KWOSWaitHandle", "KWOSWaitCondition"), replaces=("KWOSInstance",)),
    BoxRun("Solutions_OperatingSystems_Ubuntu22.04_cfn-hup", box_values=private_subnet,
           update=with_values(SSHLocation="10.8.0.0/16", InstanceAMI=UBUNTU_24_AMI),
           keeps=("InstanceSecurityGroup",), replaces=("EC2Instance",)),
    BoxRun("EC2_InstanceWithCfnInit",
           update=template_edit("{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64}}",
                                f"{{{{resolve:ssm:{UBUNTU_24_AMI}}}}}"),
           replaces=("Instance",)),
    BoxRun("SNS_SNSTopic", update=with_values(SubscriptionEndPoint="https://127.0.0.1:9/alarms",
                                              SubscriptionProtocol="https"),
           keeps=("SNSTopic",), replaces=("SNSSubscription",)),
]


@pytest.mark.parametrize("run", BOX_RUNS, ids=lambda run: run.stem)
def test_sample_runs_from_its_parameter_file(run, cfn, project_conn, leaves_nothing):
    made = run_sample(cfn, project_conn, run, corpus_template(run.stem))
    assert made, "the stack made nothing"


def test_compliant_buckets_are_swift_containers_and_a_new_app_name_replaces_them(cfn, project_conn,
                                                                                   leaves_nothing):
    """Renaming (AppName names every bucket) replaces the three containers:
    AWS refuses only a replacement that would keep the custom name."""
    def containers():
        return {c.name for c in project_conn.object_store.containers()}

    before = containers()
    app, renamed = unique("compliant"), unique("renamed")
    run = BoxRun("S3_compliant-bucket", box_values=lambda conn: {"AppName": app},
                 update=with_values(AppName=renamed),
                 replaces=("ObjectStorageBucket", "ObjectStorageLogBucket", "ObjectStorageReplicaBucket"))
    seen = {}

    def record_and_rename(body, values, conn):
        seen["created"] = containers() - before
        return run.update(body, values, conn)

    made = run_sample(cfn, project_conn, dataclasses.replace(run, update=record_and_rename),
                      corpus_template(run.stem))
    assert len(seen["created"]) == 3 and all(name.startswith(app) for name in seen["created"]), seen
    buckets = {made[k] for k in run.replaces}
    assert all(name.startswith(renamed) for name in buckets), buckets
    assert containers() == before


def test_foreach_buckets_are_retained_containers_and_an_added_one_is_made(cfn, project_conn, leaves_nothing):
    """Fn::ForEach makes A, B and C; the update adds D (A-C kept); DeletionPolicy
    Retain leaves all four containers, which the test then removes."""
    before = {c.name for c in project_conn.object_store.containers()}
    run = BoxRun("CloudFormation_fn-foreach-s3-outputs",
                 update=template_edit("      - C\n", "      - C\n      - D\n", count=2),
                 keeps=("S3BucketA", "S3BucketB", "S3BucketC"),
                 outputs_after_update={"S3BucketDArn": "^arn:aws:s3:::cloudformation-fn-foreach-s3-outputs-s3bucketd-"})
    made = run_sample(cfn, project_conn, run, corpus_template(run.stem))
    retained = {c.name for c in project_conn.object_store.containers()} - before
    assert retained == {made[f"S3Bucket{x}"] for x in "ABCD"}, (retained, made)
    for name in retained:
        project_conn.object_store.delete_container(name)
