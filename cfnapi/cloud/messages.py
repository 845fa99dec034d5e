"""What Nova, Neutron, Cinder and Swift say when they refuse something.

The sim raises these so that stack events read exactly as they would on a
real cloud.  The sentences follow the services' exception classes
(nova/exception.py, neutron_lib/exceptions, cinder/exception.py, swift's
HTTP bodies); each function returns a ready ``CloudError``.
"""

from __future__ import annotations

from cfnapi.cloud.errors import CloudError, conflict, forbidden, invalid, not_found, over_quota

# --- Nova -----------------------------------------------------------------


def image_not_found(image_id: str) -> CloudError:
    return not_found(f"Image {image_id} could not be found.")


def flavor_not_found(flavor_id: str) -> CloudError:
    return not_found(f"Flavor {flavor_id} could not be found.")


def server_not_found(server_id: str) -> CloudError:
    return not_found(f"Instance {server_id} could not be found.")


def keypair_not_found(name: str, user_id: str) -> CloudError:
    return not_found(f"Keypair {name} not found for user {user_id}")


def keypair_exists(name: str) -> CloudError:
    return conflict(f"Key pair '{name}' already exists.")


def keypair_quota() -> CloudError:
    return over_quota("Quota exceeded, too many key pairs.")


def invalid_public_key() -> CloudError:
    return invalid("Keypair data is invalid: failed to generate fingerprint")


def availability_zone_unavailable() -> CloudError:
    return invalid("The requested availability zone is not available")


def compute_quota(resource: str, requested: int, used: int, allowed: int) -> CloudError:
    """Nova's TooManyInstances, used for instances, cores and ram alike."""
    return over_quota(
        f"Quota exceeded for {resource}: Requested {requested}, "
        f"but already used {used} of {allowed} {resource}"
    )


def volume_not_attached_to_server(volume_id: str, server_id: str) -> CloudError:
    return not_found(f"Volume {volume_id} is not attached to instance {server_id}.")


def volume_not_available_for_attach(volume_id: str, status: str) -> CloudError:
    return invalid(
        f"Invalid volume: volume '{volume_id}' status must be 'available'. "
        f"Currently in '{status}'"
    )


# --- Neutron --------------------------------------------------------------


def network_not_found(network_id: str) -> CloudError:
    return not_found(f"Network {network_id} could not be found.")


def subnet_not_found(subnet_id: str) -> CloudError:
    return not_found(f"Subnet {subnet_id} could not be found.")


def port_not_found(port_id: str) -> CloudError:
    return not_found(f"Port {port_id} could not be found.")


def router_not_found(router_id: str) -> CloudError:
    return not_found(f"Router {router_id} could not be found.")


def floating_ip_not_found(floating_ip_id: str) -> CloudError:
    return not_found(f"Floating IP {floating_ip_id} could not be found.")


def security_group_not_found(group_id: str) -> CloudError:
    return not_found(f"Security group {group_id} does not exist")


def security_group_rule_not_found(rule_id: str) -> CloudError:
    return not_found(f"Security group rule {rule_id} does not exist")


def network_in_use(network_id: str) -> CloudError:
    return conflict(
        f"Unable to complete operation on network {network_id}. "
        "There are one or more ports still in use on the network."
    )


def subnet_in_use(subnet_id: str) -> CloudError:
    return conflict(
        f"Unable to complete operation on subnet {subnet_id}: "
        "One or more ports have an IP allocation from this subnet."
    )


def router_in_use(router_id: str) -> CloudError:
    return conflict(f"Router {router_id} still has ports")


def router_interface_not_found_for_subnet(router_id: str, subnet_id: str) -> CloudError:
    return not_found(f"Router {router_id} has no interface on subnet {subnet_id}")


def router_interface_not_found(router_id: str, port_id: str) -> CloudError:
    return not_found(f"Router {router_id} does not have an interface with id {port_id}")


def router_interface_exists(subnet_id: str, router_id: str) -> CloudError:
    return invalid(
        f"Bad router request: Router already has a port on subnet {subnet_id}."
    )


def port_in_use(port_id: str, network_id: str, device_id: str) -> CloudError:
    return conflict(
        f"Unable to complete operation on port {port_id} for network {network_id}. "
        f"Port already has an attached device {device_id}."
    )


def security_group_in_use(group_id: str) -> CloudError:
    return conflict(f"Security Group {group_id} in use.")


def ip_address_in_use(network_id: str, ip_address: str) -> CloudError:
    return conflict(
        f"Unable to complete operation for network {network_id}. "
        f"The IP address {ip_address} is in use."
    )


def invalid_ip_for_subnet(ip_address: str) -> CloudError:
    return invalid(f"IP address {ip_address} is not a valid IP for the specified subnet.")


def ip_addresses_exhausted(network_id: str) -> CloudError:
    return conflict(f"No more IP addresses available on network {network_id}.")


def external_addresses_exhausted(network_id: str) -> CloudError:
    return invalid(f"Unable to find any IP address on external network {network_id}.")


def network_quota(resource: str) -> CloudError:
    # Neutron formats the list of exceeded resources with Python's repr.
    return over_quota(f"Quota exceeded for resources: {[resource]}.")


def invalid_input(detail: str) -> CloudError:
    return invalid(f"Invalid input for operation: {detail}.")


def not_external_network(network_id: str) -> CloudError:
    return invalid(
        f"Bad floatingip request: Network {network_id} is not a valid external network."
    )


def floating_ip_already_associated(floating_ip: str, port_id: str) -> CloudError:
    return conflict(
        f"Cannot associate floating IP {floating_ip} with port {port_id} "
        "using fixed IP, as that fixed IP already has a floating IP on external network."
    )


# --- Cinder ---------------------------------------------------------------


def volume_not_found(volume_id: str) -> CloudError:
    return not_found(f"Volume {volume_id} could not be found.")


def snapshot_not_found(snapshot_id: str) -> CloudError:
    return not_found(f"Snapshot {snapshot_id} could not be found.")


def volume_delete_wrong_status(status: str) -> CloudError:
    return invalid(
        "Invalid volume: Volume status must be available or error, "
        f"but current status is: {status}."
    )


def volume_has_snapshots(count: int) -> CloudError:
    return invalid(f"Invalid volume: Volume still has {count} dependent snapshots.")


def snapshot_wrong_volume_status(status: str) -> CloudError:
    return invalid(
        f"Invalid volume: Volume status must be available, but current status is: {status}."
    )


def volume_count_quota(allowed: int) -> CloudError:
    return over_quota(f"Maximum number of volumes allowed ({allowed}) exceeded for quota 'volumes'.")


def volume_gigabytes_quota(requested: int, allowed: int, consumed: int) -> CloudError:
    return over_quota(
        "Requested volume or snapshot exceeds allowed gigabytes quota. "
        f"Requested {requested}G, quota is {allowed}G and {consumed}G has been consumed."
    )


def snapshot_count_quota(allowed: int) -> CloudError:
    return over_quota(f"Maximum number of snapshots allowed ({allowed}) exceeded")


def backup_not_found(backup_id: str) -> CloudError:
    return not_found(f"Backup {backup_id} could not be found.")


def backup_wrong_volume_status(status: str) -> CloudError:
    return invalid(
        f'Invalid volume: Volume to be backed up must be available or in-use, but the current status is "{status}".'
    )


def backup_in_use_needs_force() -> CloudError:
    return invalid("Invalid volume: Backing up an in-use volume must use the force flag.")


def backup_not_available(status: str) -> CloudError:
    return invalid(f"Invalid backup: Backup status must be available, but current status is: {status}.")


def volume_smaller_than_backup(size: int, backup_size: int) -> CloudError:
    return invalid(
        f"Invalid input received: Volume size {size}GB cannot be smaller than the backup size {backup_size}GB. "
        "It must be >= backup size."
    )


def backup_delete_wrong_status(status: str) -> CloudError:
    return invalid(f"Invalid backup: Backup status must be available or error, but current status is: {status}.")


def backup_count_quota(allowed: int) -> CloudError:
    return over_quota(f"Maximum number of backups allowed ({allowed}) exceeded")


def backup_gigabytes_quota(requested: int, allowed: int, consumed: int) -> CloudError:
    return over_quota(
        "Requested backup exceeds allowed Backup gigabytes quota. "
        f"Requested {requested}G, quota is {allowed}G and {consumed}G has been consumed."
    )


# --- Swift ----------------------------------------------------------------


def container_not_found(name: str) -> CloudError:
    return not_found(f"Container {name} not found: The resource could not be found.")


def container_not_empty(name: str) -> CloudError:
    return conflict(
        f"Container {name} is not empty: "
        "There was a conflict when trying to complete your request."
    )


# --- added for the sim's request validation --------------------------------


def invalid_key_name() -> CloudError:
    return invalid("Invalid key_name provided.")


def security_group_not_found_for_project(group: str, project_id: str) -> CloudError:
    return invalid(f"Security group {group} not found for project {project_id}.")


def boot_source_missing() -> CloudError:
    return invalid("Block Device Mapping is Invalid: Boot sequence for the instance and "
                   "image/block device mapping combination is not valid.")


def port_delete_disallowed() -> CloudError:
    # Neutron's default policy: a project member may not delete a port a server
    # (device_owner compute:*) still holds; Nova releases it when the server goes.
    return forbidden("rule:delete_port is disallowed by policy")


def service_port_in_use(port_id: str, device_owner: str) -> CloudError:
    return conflict(
        f"Port {port_id} cannot be deleted directly via the port API: "
        f"has device owner {device_owner}."
    )


def security_group_rule_exists(rule_id: str) -> CloudError:
    return conflict(f"Security group rule already exists. Rule id is {rule_id}.")


def security_group_rule_bad_port_range() -> CloudError:
    return invalid("For TCP/UDP protocols, port_range_min must be <= port_range_max")


def cinder_availability_zone_invalid(zone: str) -> CloudError:
    return invalid(f"Invalid input received: Availability zone '{zone}' is invalid.")


def volume_smaller_than_snapshot(size: int, snapshot_size: int) -> CloudError:
    return invalid(
        f"Invalid input received: Volume size '{size}'GB cannot be smaller than the "
        f"snapshot size {snapshot_size}GB. They must be >= original snapshot size."
    )


# --- resize and extend ------------------------------------------------------


def resize_same_flavor() -> CloudError:
    return invalid("When resizing, instances must change flavor!")


def server_wrong_state(server_id: str, action: str, state: str) -> CloudError:
    """Nova's InstanceInvalidState (409) for an action the server's state does not allow."""
    return conflict(f"Cannot '{action}' instance {server_id} while it is in vm_state {state}")


def volume_extend_not_larger(current: int, requested: int) -> CloudError:
    return invalid(
        "Invalid input received: New size for extend must be greater than current size. "
        f"(current: {current}, extended: {requested})."
    )


def volume_extend_wrong_status(status: str) -> CloudError:
    return invalid(f"Invalid volume: Volume status must be available or in-use to extend, but current status is: {status}.")


def invalid_remote_ip_prefix(prefix: str) -> CloudError:
    return invalid(f"Invalid input for remote_ip_prefix. Reason: '{prefix}' is not a valid IP prefix.")


def subnet_overlaps(cidr: str, network_id: str) -> CloudError:
    return invalid(f"Invalid input for operation: Requested subnet with cidr: {cidr} for network: "
                   f"{network_id} overlaps with another subnet.")
