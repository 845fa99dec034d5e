"""Keystone catalog, readiness checks and seed data for the openstack box.

Run by ``up`` with the box's own Python (it needs openstacksdk, not cfnapi):

    box_seed.py catalog          service project, roles, service accounts, endpoints
    box_seed.py wait-services    until nova-compute, cinder-volume and cinder-backup report in
    box_seed.py seed             flavors, images, networks, keypair, clouds.yaml

The seed mirrors cfnapi's sim default (cfnapi/cloud/sim/default_cloud.yaml):
the same flavor table (so the InstanceType -> flavor defaults pick the same
sizes), the same image names (so the SSM ``/aws/service/...`` aliases resolve),
an external network ``public`` with a floating-IP pool, and in the ``cfnapi``
project a ``private`` network routed to ``public`` and a keypair ``default``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import openstack
import yaml

BOX_DIR = Path(os.environ["BOX_DIR"])
KEYSTONE = os.environ["KEYSTONE_URL"] + "/v3"
PASSWORD = os.environ["PASSWORD"]
REGION = os.environ["REGION"]
SERVICE_ACCOUNTS = ("glance", "placement", "nova", "neutron", "cinder", "swift")
# The identity cfnapi itself authenticates as: verifies EC2 signatures through
# /v3/ec2tokens (which keystone allows to admin or service callers only) and
# acts in users' projects through trusts.
CFNAPI_SERVICE_USER = "cfnapi"
# The project and user cfnapi's own (non-Keystone) credentials run stacks in.
DEMO_PROJECT, DEMO_USER = "cfnapi", "cfnapi-demo"

FLAVORS = [  # id, name, vcpus, ram MiB, disk GB: cfnapi's sim default table
    ("1", "m1.tiny", 1, 512, 1), ("2", "m1.small", 1, 2048, 20), ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80), ("5", "m1.xlarge", 8, 16384, 160), ("42", "m1.nano", 1, 128, 1),
    ("84", "m1.micro", 1, 192, 1), ("c1", "c1.medium", 2, 2048, 20), ("c2", "c1.large", 4, 4096, 40),
    ("c3", "c1.xlarge", 8, 8192, 80), ("r1", "r1.large", 2, 16384, 40), ("r2", "r1.xlarge", 4, 32768, 80),
    ("x1", "m1.2xlarge", 16, 32768, 160), ("x2", "m1.4xlarge", 32, 65536, 320),
    ("x3", "m1.8xlarge", 64, 131072, 640),
]
ZONES = os.environ["COMPUTE_ZONES"].split()
IMAGES = ["cirros-0.6.2-x86_64-disk", "ubuntu-22.04", "ubuntu-24.04", "amazon-linux-2023", "fedora-40"]


def endpoints() -> list[tuple[str, str, str]]:
    port = lambda name: os.environ[f"{name}_PORT"]  # noqa: E731
    base = "http://127.0.0.1:"
    return [
        ("glance", "image", base + port("GLANCE")),
        ("placement", "placement", base + port("PLACEMENT")),
        ("nova", "compute", base + port("NOVA") + "/v2.1"),
        ("neutron", "network", base + port("NEUTRON")),
        ("cinderv3", "volumev3", base + port("CINDER") + "/v3"),
        ("cinder", "block-storage", base + port("CINDER") + "/v3"),
        ("swift", "object-store", base + port("SWIFT") + "/v1/AUTH_$(project_id)s"),
    ]


def connect(user="admin", project="admin", **extra):
    return openstack.connect(auth_url=KEYSTONE, username=user, password=PASSWORD, project_name=project,
                             user_domain_name="Default", project_domain_name="Default", region_name=REGION,
                             **extra)


def catalog() -> None:
    identity = connect().identity
    service_project = identity.find_project("service") or identity.create_project(name="service", domain_id="default")
    roles = {name: identity.find_role(name) or identity.create_role(name=name)
             for name in ("admin", "service", "member", "reader", "ResellerAdmin")}

    def user_with_roles(name, project, role_names):
        user = identity.find_user(name, domain_id="default") or identity.create_user(
            name=name, password=PASSWORD, domain_id="default")
        for role in role_names:
            identity.assign_project_role_to_user(project, user, roles[role])
        return user

    for account in SERVICE_ACCOUNTS:
        user_with_roles(account, service_project, ("admin", "service"))
    user_with_roles(CFNAPI_SERVICE_USER, service_project, ("service",))
    demo = identity.find_project(DEMO_PROJECT) or identity.create_project(name=DEMO_PROJECT, domain_id="default")
    user_with_roles(DEMO_USER, demo, ("member",))
    for name, kind, url in endpoints():
        service = identity.find_service(name) or identity.create_service(name=name, type=kind)
        if not list(identity.endpoints(service_id=service.id)):
            for interface in ("public", "internal", "admin"):
                identity.create_endpoint(service_id=service.id, interface=interface, url=url, region_id=REGION)
    write_clouds_yaml()


def write_clouds_yaml() -> None:
    def cloud(user, project):
        return {"auth": {"auth_url": KEYSTONE, "username": user, "password": PASSWORD, "project_name": project,
                         "user_domain_name": "Default", "project_domain_name": "Default"},
                "region_name": REGION, "identity_api_version": 3}

    clouds = {"clouds": {
        "box-admin": cloud("admin", "admin"),
        "box": cloud(DEMO_USER, DEMO_PROJECT),
        "box-service": cloud(CFNAPI_SERVICE_USER, "service"),
    }}
    path = BOX_DIR / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds, sort_keys=False))
    path.chmod(0o600)


def wait_services(discover: str, timeout: float = 180.0) -> None:
    admin = connect()
    deadline = time.monotonic() + timeout
    compute = False
    cinder = {"cinder-volume": False, "cinder-backup": False}
    hosts = len(ZONES)
    while time.monotonic() < deadline and not (compute and all(cinder.values())):
        if not compute:
            subprocess.run(discover.split(), capture_output=True)
            compute = len(list(admin.compute.hypervisors())) >= hosts
        if not all(cinder.values()):
            up = [s.binary for s in admin.block_storage.services() if s.state == "up"]
            # One cinder-volume backend and one cinder-backup per zone (configs.sh).
            cinder = {binary: up.count(binary) >= hosts for binary in cinder}
        if not (compute and all(cinder.values())):
            time.sleep(1)
    if not (compute and all(cinder.values())):
        sys.exit(f"not ready after {timeout:.0f}s: nova-compute={compute} {cinder}")


def seed() -> None:
    admin = connect()
    for flavor_id, name, vcpus, ram, disk in FLAVORS:
        if admin.compute.find_flavor(name) is None:
            admin.compute.create_flavor(id=flavor_id, name=name, vcpus=vcpus, ram=ram, disk=disk)
    for name in IMAGES:
        if admin.image.find_image(name) is None:
            image = admin.image.create_image(name=name, data=b"\0" * 65536, disk_format="raw",
                                             container_format="bare", visibility="public")
            # create_image can return while the image is still queued.
            for _ in range(120):
                if admin.image.get_image(image.id).status == "active":
                    break
                time.sleep(0.5)
    for zone in ZONES:
        # "nova" (Nova's default zone) gets an aggregate too: placement keeps a
        # server in its zone on resize only through the zone's aggregate.
        aggregate = admin.compute.find_aggregate(zone) or admin.compute.create_aggregate(
            name=zone, availability_zone=zone)
        host = "cfnapi-box" if zone == "nova" else f"cfnapi-box-{zone}"
        if host not in (aggregate.hosts or []):
            admin.compute.add_host_to_aggregate(aggregate, host)
    public = admin.network.find_network("public")
    if public is None:
        public = admin.network.create_network(name="public", is_router_external=True, is_shared=False,
                                              provider_network_type="flat", provider_physical_network="public")
        admin.network.create_subnet(network_id=public.id, name="public-subnet", ip_version=4,
                                    cidr="172.24.4.0/24", gateway_ip="172.24.4.1", is_dhcp_enabled=False,
                                    allocation_pools=[{"start": "172.24.4.10", "end": "172.24.4.250"}])
    demo = connect(DEMO_USER, DEMO_PROJECT)
    private = demo.network.find_network("private")
    if private is None:
        private = demo.network.create_network(name="private")
        subnet = demo.network.create_subnet(network_id=private.id, name="private-subnet", ip_version=4,
                                            cidr="10.0.0.0/24")
        router = demo.network.create_router(name="private-router",
                                            external_gateway_info={"network_id": public.id})
        demo.network.add_interface_to_router(router, subnet_id=subnet.id)
    if demo.compute.find_keypair("default") is None:
        demo.compute.create_keypair(name="default", public_key=_new_public_key())


def _new_public_key() -> str:
    """An OpenSSH public key Nova accepts (it fingerprints what it imports); the private half is dropped."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = ed25519.Ed25519PrivateKey.generate().public_key()
    key = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return key + " cfnapi-box"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("catalog")
    waiting = commands.add_parser("wait-services")
    waiting.add_argument("--discover", required=True, help="command that maps new compute hosts into cells")
    commands.add_parser("seed")
    args = parser.parse_args()
    {"catalog": catalog, "seed": seed}.get(args.command, lambda: wait_services(args.discover))()


if __name__ == "__main__":
    main()
