"""AWS::EC2::EIPAssociation: Ref is an association id, as on AWS, and delete still finds the address."""

from cfnapi.cloud.sim import differences_from_seed
from cfnapi.translate.ec2_address import EIP, EIPAssociation
from cfnapi.translate.ec2_instance import Instance

CIRROS = "cirros-0.6.2-x86_64-disk"


def _server_and_address(world):
    server = world.create(Instance(), {"ImageId": CIRROS}, "Srv")
    eip = world.create(EIP(), {"Domain": "vpc"}, "Ip")
    return server, eip


def test_ref_is_an_eipassoc_id_and_delete_disassociates_the_address(world):
    server, eip = _server_and_address(world)
    props = {"AllocationId": eip.attributes["AllocationId"], "InstanceId": server.physical_id}
    association = world.create(EIPAssociation(), props, "Bind")
    assert association.physical_id.startswith("eipassoc-")
    assert association.physical_id != eip.attributes["AllocationId"]
    assert EIPAssociation().ref(association) == association.physical_id
    assert association.attributes == {"Id": association.physical_id}
    assert eip.physical_id in world.cloud.get_server(server.physical_id).floating_ips

    world.delete(EIPAssociation(), association)
    assert world.cloud.get_floating_ip(eip.attributes["AllocationId"]).port_id is None
    world.delete(EIP(), eip)
    world.delete(Instance(), server)
    assert differences_from_seed(world.db, world.config) == {}


def test_an_association_saved_before_it_had_its_own_id_is_still_deleted(world):
    """Stacks made earlier saved the floating IP's id as the physical id."""
    server, eip = _server_and_address(world)
    props = {"EIP": eip.physical_id, "InstanceId": server.physical_id}
    new_style = world.create(EIPAssociation(), props, "Bind")
    old_row = world.state("Bind", eip.attributes["AllocationId"], props)
    assert new_style.physical_id == f"eipassoc-{old_row.physical_id}"

    world.delete(EIPAssociation(), old_row)
    assert world.cloud.get_floating_ip(eip.attributes["AllocationId"]).port_id is None
    world.delete(EIP(), eip)
    world.delete(Instance(), server)
