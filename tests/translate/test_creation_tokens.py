"""Every type whose create makes something outside the stack's own rows can find it again by the
creation token the engine saved before the create (``find_created``): a process that died between
the provider call returning and the physical id being saved leaves nothing behind, and a resumed
create adopts the object instead of making a second one. What a create left half-made is removed.
Driven against the sim cloud and cfnapi's own stores."""

import dataclasses
import datetime as dt

import pytest

from cfnapi.auth.models import AccountRow
from cfnapi.cloud.provider import FixedIp
from cfnapi.cloud.sim import differences_from_seed
from cfnapi.translate.cloud_calls import creation_marker, physical_name
from cfnapi.translate.ec2_address import EIP
from cfnapi.translate.ec2_instance import Instance
from cfnapi.translate.ec2_security import SecurityGroup, SecurityGroupIngress
from cfnapi.translate.ec2_vpc import VPC, Subnet, router_name
from cfnapi.translate.registry import default_registry
from tests.translate.conftest import ACCOUNT

CIRROS = "cirros-0.6.2-x86_64-disk"
TOKEN, OTHER = "0123456789ab", "ba9876543210"


def tokened(world, logical_id="Res", token=TOKEN):
    return dataclasses.replace(world.ctx(logical_id), creation_token=token)


def _vpc(world):
    return world.create(VPC(), {"CidrBlock": "10.9.0.0/16"}, "Vpc").physical_id


def _subnet(world):
    vpc = _vpc(world)
    return vpc, world.create(Subnet(), {"VpcId": vpc, "CidrBlock": "10.9.1.0/24"}, "Sn").physical_id


def _group(world):
    return world.create(SecurityGroup(), {"GroupDescription": "g"}, "Sg").physical_id


def _account(world):
    """The stack's account, which an access key belongs to."""
    with world.db.transaction() as session:
        session.add(AccountRow(id=ACCOUNT, name="tokens", created_at=dt.datetime.now(dt.timezone.utc)))


def _server(world):
    return world.create(Instance(), {"ImageId": CIRROS, "InstanceType": "m1.tiny"}, "Srv").physical_id


# type -> a function of the world that makes what the type needs and returns its properties.
# Two creates with these properties must be able to coexist (the second is another attempt's).
PROPERTIES = {
    "AWS::EC2::Instance": lambda w: {"ImageId": CIRROS, "InstanceType": "m1.tiny"},
    "AWS::EC2::Volume": lambda w: {"AvailabilityZone": "us-east-1a", "Size": 1},
    "AWS::EC2::VPC": lambda w: {"CidrBlock": "10.9.0.0/16"},
    "AWS::EC2::Subnet": lambda w: {"VpcId": _vpc(w), "CidrBlock": "10.9.1.0/24"},
    "AWS::EC2::NetworkInterface": lambda w: {"SubnetId": _subnet(w)[1]},
    "AWS::EC2::SecurityGroup": lambda w: {"GroupDescription": "web", "SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]},
    "AWS::EC2::SecurityGroupIngress": lambda w: {"GroupId": _group(w), "IpProtocol": "tcp", "FromPort": 80,
                                                 "ToPort": 80, "CidrIp": "0.0.0.0/0"},
    "AWS::EC2::SecurityGroupEgress": lambda w: {"GroupId": _group(w), "IpProtocol": "udp", "FromPort": 53,
                                                "ToPort": 53, "CidrIp": "10.0.0.0/8"},
    "AWS::EC2::EIP": lambda w: {"Domain": "vpc"},
    "AWS::S3::Bucket": lambda w: {},
    "AWS::SNS::Topic": lambda w: {},
    "AWS::SSM::Parameter": lambda w: {"Type": "String", "Value": "v"},
    "AWS::IAM::AccessKey": lambda w: _account(w) or {"UserName": "deployer"},
    "AWS::CloudWatch::Alarm": lambda w: {"MetricName": "CPUUtilization", "Namespace": "AWS/EC2",
                                         "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1,
                                         "Threshold": 50, "ComparisonOperator": "GreaterThanThreshold"},
}


# Neutron refuses a second identical rule; a second subnet needs a range of its own.
IDENTICAL_REFUSED = {"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"}
SECOND_ATTEMPT = {"AWS::EC2::Subnet": lambda props: {**props, "CidrBlock": "10.9.2.0/24"}}


@pytest.mark.parametrize("type_name", sorted(PROPERTIES))
def test_what_a_create_made_is_found_again_by_its_creation_token(world, type_name):
    handler = default_registry().handler(type_name)
    props = PROPERTIES[type_name](world)
    ctx = tokened(world)
    assert handler.find_created(ctx, props) is None  # nothing made yet

    made = handler.create(ctx, props)
    if type_name not in IDENTICAL_REFUSED:
        handler.create(tokened(world, token=OTHER), SECOND_ATTEMPT.get(type_name, dict)(props))  # not this one's

    assert handler.find_created(ctx, props) == made
    assert handler.find_created(tokened(world, "Other"), props) is None  # another resource's token
    assert handler.find_created(world.ctx(), props) is None  # no token, nothing to look for


def test_every_type_that_makes_a_cloud_object_is_covered_above():
    # A new type whose create reaches the provider or a store must be added to PROPERTIES (and so
    # implement find_created), or be listed here with why creating it again leaves nothing behind.
    makes_nothing_to_leak = {
        "AWS::CloudFormation::Stack",  # the child's id is saved before the child is inserted
        "AWS::CloudFormation::WaitCondition", "AWS::CloudFormation::WaitConditionHandle",
        "AWS::EC2::InternetGateway", "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::NatGateway",
        "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry",
        "AWS::EC2::SubnetNetworkAclAssociation", "AWS::EC2::LaunchTemplate",  # recorded: no cloud object
        "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EIPAssociation",
        "AWS::EC2::VolumeAttachment",  # idempotent settings of existing objects, keyed by their ids
        "AWS::IAM::User", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::RolePolicy",
        "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile", "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy", "AWS::AutoScaling::LaunchConfiguration",  # validated and recorded only
        "AWS::AutoScaling::ScalingPolicy", "AWS::AutoScaling::ScheduledAction",  # put by a token-named key
    }
    found_by_token_below = {"AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::KeyPair", "AWS::SNS::Subscription"}
    unaccounted = default_registry().supported() - set(PROPERTIES) - found_by_token_below
    assert unaccounted == makes_nothing_to_leak


def test_a_generated_auto_scaling_group_name_is_found_and_a_custom_one_is_not(world):
    handler = default_registry().handler("AWS::AutoScaling::AutoScalingGroup")
    props = {"MinSize": "0", "MaxSize": "1", "LaunchConfigurationName": "lc",
             "AvailabilityZones": ["us-east-1a"]}
    assert handler.find_created(tokened(world), props) is None
    world.autoscaling.create_group(
        account_id="123456789012", region="us-east-1", name=physical_name(tokened(world)), stack_id="s",
        stack_name="web", logical_id="Res", launch_spec={}, min_size=0, max_size=1, desired=0,
        default_cooldown=300, health_check_type="EC2", health_check_grace_seconds=0)
    assert handler.find_created(tokened(world), props) == physical_name(tokened(world))
    assert handler.find_created(tokened(world), {**props, "AutoScalingGroupName": "web-Res-0123456789AB"}) is None


def test_a_vpc_whose_create_died_before_its_router_is_removed_not_adopted(world):
    ctx = tokened(world, "Vpc")
    network = world.cloud.create_network(physical_name(ctx), description="AWS VPC CidrBlock 10.9.0.0/16")

    assert VPC().find_created(ctx, {"CidrBlock": "10.9.0.0/16"}) is None

    assert all(n.id != network.id for n in world.cloud.list_networks())
    assert differences_from_seed(world.db, world.config) == {}


@pytest.mark.parametrize("made", ["router", "router and group", "router, group and one rule"])
def test_a_vpc_whose_create_died_after_its_router_gets_the_rest_of_its_default_group(world, made):
    from cfnapi.translate import vpc_default_group

    ctx = tokened(world, "Vpc")
    network = world.cloud.create_network(physical_name(ctx), description="AWS VPC CidrBlock 10.9.0.0/16")
    world.cloud.create_router(router_name(network.id))
    name = vpc_default_group.default_group_name(network.id)
    if made != "router":
        group = world.cloud.create_security_group(name, vpc_default_group.DESCRIPTION)
        if made.endswith("one rule"):
            world.cloud.create_security_group_rule(group.id, direction="ingress", ethertype="IPv4",
                                                   remote_group_id=group.id)

    assert VPC().find_created(ctx, {"CidrBlock": "10.9.0.0/16"}) == network.id

    groups = [g for g in world.cloud.list_security_groups() if g.name == name]
    assert len(groups) == 1
    self_ingress = sorted(r.ethertype for r in groups[0].rules
                          if r.direction == "ingress" and r.remote_group_id == groups[0].id)
    assert self_ingress == ["IPv4", "IPv6"]


def test_a_subnet_whose_create_died_before_the_router_interface_is_removed(world):
    vpc = _vpc(world)
    ctx = tokened(world, "Sn")
    world.cloud.create_subnet(vpc, "10.9.1.0/24", name=physical_name(ctx))

    assert Subnet().find_created(ctx, {"VpcId": vpc, "CidrBlock": "10.9.1.0/24"}) is None

    assert world.cloud.list_subnets(vpc) == []
    [router] = [r for r in world.cloud.list_routers() if r.name == router_name(vpc)]
    assert router.interfaces == ()


def test_a_security_group_whose_create_died_among_its_rules_is_removed(world):
    ctx = tokened(world, "Sg")
    props = PROPERTIES["AWS::EC2::SecurityGroup"](world)
    world.cloud.create_security_group(physical_name(ctx), "web")  # its ingress rule never made

    assert SecurityGroup().find_created(ctx, props) is None

    assert differences_from_seed(world.db, world.config) == {}


def saved_now(world, logical_id="Res", token=TOKEN):
    """A context whose token was saved at the sim clock's now (what the engine passes on resume)."""
    return dataclasses.replace(tokened(world, logical_id, token), token_saved_at=world.clock.now)


def test_a_custom_named_security_group_is_adopted_only_if_made_after_the_token_was_saved(world):
    props = {**PROPERTIES["AWS::EC2::SecurityGroup"](world), "GroupName": "web"}
    older = SecurityGroup().create(tokened(world, "Old"), props)  # someone else's, same name (Neutron allows it)
    world.clock.advance(3600)
    ctx = saved_now(world, "Sg")
    assert SecurityGroup().find_created(ctx, props) is None

    made = SecurityGroup().create(ctx, props)

    assert SecurityGroup().find_created(ctx, props) == made != older
    assert SecurityGroup().find_created(tokened(world, "Sg"), props) is None  # no saved time: no guess


def test_a_keypair_is_adopted_only_if_nova_made_it_after_the_token_was_saved(world):
    handler = default_registry().handler("AWS::EC2::KeyPair")
    world.cloud.create_keypair("old")  # someone else's
    world.clock.advance(3600)
    assert handler.find_created(saved_now(world), {"KeyName": "old"}) is None

    ctx = saved_now(world)
    made = handler.create(ctx, {"KeyName": "deploy"})  # generated: its private key stored in SSM
    assert handler.find_created(ctx, {"KeyName": "deploy"}) == made


def test_a_generated_keypair_whose_private_key_was_never_stored_is_deleted_and_made_again(world):
    handler = default_registry().handler("AWS::EC2::KeyPair")
    ctx = saved_now(world)
    world.cloud.create_keypair("deploy")  # the create died before storing the private key

    assert handler.find_created(ctx, {"KeyName": "deploy"}) is None

    assert all(k.name != "deploy" for k in world.cloud.list_keypairs())


def test_an_imported_keypair_is_adopted_when_its_public_key_is_the_templates(world):
    handler = default_registry().handler("AWS::EC2::KeyPair")
    public_key = world.cloud.create_keypair("source").public_key
    ctx = saved_now(world)
    handler.create(ctx, {"KeyName": "imported", "PublicKeyMaterial": public_key})
    assert handler.find_created(ctx, {"KeyName": "imported", "PublicKeyMaterial": public_key}) == "imported"
    other = world.cloud.create_keypair("other").public_key
    assert handler.find_created(ctx, {"KeyName": "imported", "PublicKeyMaterial": other}) is None


def test_an_eip_whose_create_died_before_associating_is_released(world):
    server = _server(world)
    ctx = tokened(world, "Ip")
    world.cloud.allocate_floating_ip(None, creation_marker(ctx))

    assert EIP().find_created(ctx, {"InstanceId": server}) is None

    assert world.cloud.list_floating_ips() == []


def test_the_ports_of_an_instance_whose_server_was_never_made_are_removed(world):
    _, subnet = _subnet(world)
    ctx = tokened(world, "Srv")
    props = {"ImageId": CIRROS, "InstanceType": "m1.tiny", "SubnetId": subnet, "PrivateIpAddress": "10.9.1.50"}
    network = world.cloud.get_subnet(subnet).network_id
    ports_before = {p.id for p in world.cloud.list_ports(network)}
    # The create made its port and died before Nova was asked for the server.
    world.cloud.create_port(network, name=f"{physical_name(ctx, 63)}-eth0", fixed_ips=[FixedIp(subnet, "10.9.1.50")])

    assert Instance().find_created(ctx, props) is None

    assert {p.id for p in world.cloud.list_ports(network)} == ports_before
    made = Instance().create(ctx, props)  # the resumed create gets the fixed address again
    assert world.cloud.get_server(made).fixed_ips == ("10.9.1.50",)


def test_deleting_an_instance_whose_server_is_gone_removes_its_ports(world):
    # A delete resumed after a crash: Nova had deleted the server, its ports were still to go.
    _, subnet = _subnet(world)
    network = world.cloud.get_subnet(subnet).network_id
    ports_before = {p.id for p in world.cloud.list_ports(network)}
    ctx = tokened(world, "Srv")
    props = {"ImageId": CIRROS, "InstanceType": "m1.tiny", "SubnetId": subnet}
    made = Instance().create(ctx, props)
    world.cloud.delete_server(made)
    world.clock.advance(60)
    assert [p for p in world.cloud.list_ports(network) if p.id not in ports_before]  # left behind so far

    state = world.state("Srv", made, props)
    Instance().delete(ctx, state)
    assert Instance().check_delete_complete(ctx, state)

    assert {p.id for p in world.cloud.list_ports(network)} == ports_before


def test_a_custom_named_bucket_is_found_by_the_token_in_its_metadata_and_nobody_elses(world):
    from cfnapi.translate.s3 import Bucket

    props = {"BucketName": "reports-2026", "Tags": [{"Key": "team", "Value": "a"}]}
    made = Bucket().create(tokened(world, "Bucket"), props)
    assert made == "reports-2026"
    metadata = world.cloud.get_container(made).metadata
    assert metadata["cfn-creation-token"] == physical_name(tokened(world, "Bucket"))
    assert metadata["tag-team"] == "a"  # sent with the same PUT

    assert Bucket().find_created(tokened(world, "Bucket"), props) == made
    assert Bucket().find_created(tokened(world, "Bucket", OTHER), props) is None
    world.cloud.create_container("someone-elses")  # same name, no token of this create
    assert Bucket().find_created(tokened(world, "Bucket"), {"BucketName": "someone-elses"}) is None


def _alarm(name):
    return {**PROPERTIES["AWS::CloudWatch::Alarm"](None), "AlarmName": name}


# type -> properties naming the object
NAMED_IN_OWN_STORES = {
    "AWS::SNS::Topic": {"TopicName": "alerts"},
    "AWS::SSM::Parameter": {"Type": "String", "Value": "v", "Name": "/app/flag"},
    "AWS::CloudWatch::Alarm": _alarm("cpu-high"),
}


@pytest.mark.parametrize("type_name", sorted(NAMED_IN_OWN_STORES))
def test_a_template_named_object_in_cfnapis_stores_is_adopted_only_if_made_after_the_token(world, type_name):
    handler = default_registry().handler(type_name)
    props = NAMED_IN_OWN_STORES[type_name]
    earlier = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    ctx = dataclasses.replace(tokened(world), token_saved_at=earlier)
    assert handler.find_created(ctx, props) is None

    made = handler.create(ctx, props)

    assert handler.find_created(ctx, props) == made
    # Had the token been saved after the object existed, the object would be someone else's.
    assert handler.find_created(dataclasses.replace(ctx, token_saved_at=later), props) is None
    assert handler.find_created(tokened(world), props) is None  # no saved time: no guess


def test_a_template_named_auto_scaling_group_must_name_this_stack_and_resource(world):
    handler = default_registry().handler("AWS::AutoScaling::AutoScalingGroup")
    props = {"AutoScalingGroupName": "workers", "MinSize": "0", "MaxSize": "1"}
    ctx = dataclasses.replace(tokened(world), token_saved_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
    world.autoscaling.create_group(
        account_id=ACCOUNT, region="us-east-1", name="workers", stack_id="another-stack", stack_name="other",
        logical_id="Res", launch_spec={}, min_size=0, max_size=1, desired=0, default_cooldown=300,
        health_check_type="EC2", health_check_grace_seconds=0)
    assert handler.find_created(ctx, props) is None  # another stack's group of that name
    group = world.autoscaling.group(ACCOUNT, "us-east-1", "workers")
    world.autoscaling.update_group(group.id, stack_id=ctx.stack_id)
    assert handler.find_created(ctx, props) == "workers"


def test_a_topic_whose_create_died_before_its_inline_subscriptions_is_removed(world):
    from cfnapi.translate.sns import Topic

    ctx = tokened(world, "Alerts")
    props = {"Subscription": [{"Protocol": "https", "Endpoint": "https://hooks.example/alarm"}]}
    made = Topic().create(ctx, props)
    assert Topic().find_created(ctx, props) == made  # whole: adopted

    for subscription in world.topics.subscriptions_of(made):
        world.topics.unsubscribe(subscription.arn)  # as if the create had died before subscribing
    assert Topic().find_created(ctx, props) is None
    assert world.topics.get_topic(made) is None


def test_a_subscription_is_adopted_only_if_made_after_the_token_was_saved(world):
    from cfnapi.translate.sns import Subscription, Topic

    topic = Topic().create(tokened(world, "Alerts"), {})
    props = {"TopicArn": topic, "Protocol": "https", "Endpoint": "https://hooks.example/alarm"}
    earlier = Subscription().create(world.ctx("Old"), props)  # another resource's, same endpoint
    ctx = dataclasses.replace(tokened(world, "Sub"), token_saved_at=dt.datetime.now(dt.timezone.utc))
    assert Subscription().find_created(ctx, props) is None

    made = Subscription().create(ctx, props)

    assert Subscription().find_created(ctx, props) == made != earlier
    assert Subscription().find_created(tokened(world, "Sub"), props) is None  # no saved time: no guess
