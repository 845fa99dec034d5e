"""Address arithmetic for subnets: gateways, allocation pools, the next free address.

Pure functions over strings so the allocation rules are testable without a database.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Pool = tuple[str, str]


def default_gateway(cidr: str) -> str:
    """Neutron's default gateway: the first host address of the CIDR."""
    return str(next(ipaddress.ip_network(cidr, strict=False).hosts()))


def default_pools(cidr: str, gateway_ip: str | None) -> list[Pool]:
    """Every host address except the gateway, as one or two contiguous ranges.

    ``hosts()`` already leaves out the network and broadcast addresses.
    """
    network = ipaddress.ip_network(cidr, strict=False)
    first = network.network_address + 1
    last = network.broadcast_address - 1
    if network.num_addresses <= 2:  # /31 and /32 have no separate network/broadcast
        first, last = network.network_address, network.broadcast_address
    if gateway_ip is None:
        return [(str(first), str(last))]
    gateway = ipaddress.ip_address(gateway_ip)
    pools: list[Pool] = []
    if first < gateway:
        pools.append((str(first), str(gateway - 1)))
    if gateway < last:
        pools.append((str(max(first, gateway + 1)), str(last)))
    return pools


def validate_pools(cidr: str, pools: Sequence[Pool], gateway_ip: str | None) -> str | None:
    """Neutron's checks on requested pools; returns the complaint, or None when valid."""
    network = ipaddress.ip_network(cidr, strict=False)
    for start, end in pools:
        low, high = ipaddress.ip_address(start), ipaddress.ip_address(end)
        if low not in network or high not in network or low > high:
            return f"The allocation pool {start}-{end} spans beyond the subnet cidr {cidr}."
        if gateway_ip and low <= ipaddress.ip_address(gateway_ip) <= high:
            return f"Gateway ip {gateway_ip} conflicts with allocation pool {start}-{end}."
    return None


def in_subnet(cidr: str, ip_address: str) -> bool:
    try:
        return ipaddress.ip_address(ip_address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def next_free(pools: Iterable[Pool], used: set[str]) -> str | None:
    """The lowest address of the pools not in ``used``; None when they are exhausted."""
    for start, end in pools:
        address = ipaddress.ip_address(start)
        last = ipaddress.ip_address(end)
        while address <= last:
            if str(address) not in used:
                return str(address)
            address += 1
    return None


def is_ip_prefix(value: str) -> bool:
    """What Neutron accepts as remote_ip_prefix: an address or a CIDR (host bits allowed)."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def overlaps(cidr: str, other: str) -> bool:
    return ipaddress.ip_network(cidr, strict=False).overlaps(ipaddress.ip_network(other, strict=False))
