import pytest

from cfnapi.cloud.errors import CloudError
from cfnapi.cloud.naming import CloudNaming, NamingConfig, ProviderCloudLookup

from .conftest import CIRROS


def test_instance_types_map_to_the_smallest_fitting_flavor(cloud):
    naming = CloudNaming(cloud)
    assert naming.flavor_for("t2.micro").name == "m1.small"  # 1 vCPU / 1 GiB -> 1 / 2048
    assert naming.flavor_for("t2.nano").name == "m1.tiny"
    assert naming.flavor_for("m5.large").name == "r1.large"  # 2 / 8 GiB: fewest vCPUs first, m1.medium has 4 GiB
    assert naming.flavor_for("c5.large").name == "m1.medium"
    assert naming.flavor_for("m1.small").name == "m1.small"  # the AWS type m1.small (1 / 1740)
    with pytest.raises(CloudError, match="Invalid value 'z9.huge' for InstanceType"):
        naming.flavor_for("z9.huge")


def test_instance_type_mapping_is_overridable(cloud):
    naming = CloudNaming(cloud, NamingConfig.from_mapping({
        "instance_types": {"t2.micro": "m1.nano"},
        "instance_type_sizes": {"x9.big": {"vcpus": 3, "ram": 1000}},
    }))
    assert naming.flavor_for("t2.micro").name == "m1.nano"
    assert naming.flavor_for("x9.big").name == "c1.large"


def test_images_by_id_or_name(cloud):
    naming = CloudNaming(cloud)
    assert naming.image_for(CIRROS).name == "cirros-0.6.2-x86_64-disk"
    assert naming.image_for("ubuntu-22.04").id == "0e7c4a9d-2b5f-4c3a-8e61-7f8a9b0c1d02"
    with pytest.raises(CloudError, match="Image ami-0abc could not be found."):
        naming.image_for("ami-0abc")


def test_availability_zones_map_in_order_and_by_config(cloud):
    naming = CloudNaming(cloud)
    assert naming.aws_availability_zones("us-east-1") == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert naming.cloud_zone_for("us-east-1a") == "nova"
    assert naming.cloud_zone_for("us-east-1b", "us-east-1") == "zone-b"
    assert naming.cloud_zone_for("nova") == "nova"
    assert naming.aws_zone_for("zone-c", "eu-west-1") == "eu-west-1c"
    with pytest.raises(CloudError):
        naming.cloud_zone_for("us-east-1f")
    configured = CloudNaming(cloud, NamingConfig(availability_zones={"us-east-1a": "zone-c"}))
    assert configured.cloud_zone_for("us-east-1a") == "zone-c"


def test_cloud_lookup_answers_parameter_type_checks(cloud, config):
    lookup = ProviderCloudLookup(cloud)
    group = cloud.create_security_group("web")
    volume = cloud.create_volume(1)
    assert lookup.exists("AWS::EC2::KeyPair::KeyName", "default")
    assert not lookup.exists("AWS::EC2::KeyPair::KeyName", "missing")
    assert lookup.exists("AWS::EC2::Image::Id", "ubuntu-22.04")
    assert not lookup.exists("AWS::EC2::Image::Id", "ami-0000")
    assert lookup.exists("AWS::EC2::SecurityGroup::Id", group.id)
    assert lookup.exists("AWS::EC2::SecurityGroup::GroupName", "web")
    assert not lookup.exists("AWS::EC2::SecurityGroup::GroupName", "nope")
    assert lookup.exists("AWS::EC2::Subnet::Id", config.default_network.subnet_id)
    assert lookup.exists("AWS::EC2::VPC::Id", config.default_network.network_id)
    assert lookup.exists("AWS::EC2::Volume::Id", volume.id)
    assert not lookup.exists("AWS::EC2::Instance::Id", "i-0123")
    assert lookup.exists("AWS::EC2::AvailabilityZone::Name", "us-east-1b")
    assert not lookup.exists("AWS::EC2::AvailabilityZone::Name", "us-east-1z")
    assert lookup.availability_zones("us-east-1") == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_the_sim_cloud_config_keeps_its_aws_naming_section(tmp_path):
    import yaml

    from cfnapi.cloud.sim.config import DEFAULT_CONFIG_PATH, ConfigError, load_config

    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    raw["aws_naming"] = {"instance_types": {"t2.micro": "m1.nano"}, "availability_zones": {"us-east-1a": "zone-c"}}
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(raw))
    naming = load_config(path).naming
    assert naming.instance_types == {"t2.micro": "m1.nano"}
    assert naming.availability_zones == {"us-east-1a": "zone-c"}
    raw["aws_naming"] = {"instance_type": {"t2.micro": "m1.nano"}}  # misspelt: refused, not ignored
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="unknown aws_naming keys"):
        load_config(path)


def test_a_naming_file_needs_its_aws_naming_section(tmp_path):
    from cfnapi.cloud.naming import load_naming_file

    path = tmp_path / "naming.yaml"
    path.write_text("aws_naming:\n  instance_types: {t2.micro: m1.nano}\n")
    assert load_naming_file(path).instance_types == {"t2.micro": "m1.nano"}
    path.write_text("instance_types: {t2.micro: m1.nano}\n")
    with pytest.raises(ValueError, match="aws_naming section"):
        load_naming_file(path)
    with pytest.raises(ValueError, match="missing.yaml"):
        load_naming_file(tmp_path / "missing.yaml")


def test_parameter_checks_use_the_configured_zone_names(cloud):
    naming = CloudNaming(cloud, NamingConfig(availability_zones={"eu-test-9z": "zone-b"}))
    assert ProviderCloudLookup(cloud, naming).exists("AWS::EC2::AvailabilityZone::Name", "eu-test-9z")
    assert not ProviderCloudLookup(cloud).exists("AWS::EC2::AvailabilityZone::Name", "eu-test-9z")
