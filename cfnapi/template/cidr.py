"""Fn::Cidr's arithmetic: the first ``count`` subnets with ``cidr_bits`` host bits."""

from __future__ import annotations

import ipaddress
from typing import Any

from cfnapi.template.errors import template_error


def cidr_blocks(ip_block: str, count: Any, cidr_bits: Any) -> list[str]:
    try:
        network = ipaddress.ip_network(ip_block, strict=False)
    except ValueError:
        raise template_error(f"Fn::Cidr ipBlock {ip_block} is not a valid CIDR block") from None
    count_value = _integer(count, "count")
    bits_value = _integer(cidr_bits, "cidrBits")
    if not 1 <= count_value <= 256:
        raise template_error("Fn::Cidr count must be between 1 and 256")
    # cidrBits counts host bits: /24 subnets of an IPv4 block are cidrBits 8.
    new_prefix = network.max_prefixlen - bits_value
    if bits_value < 1 or new_prefix < network.prefixlen:
        raise template_error(
            f"Fn::Cidr cidrBits {bits_value} is invalid for ipBlock {ip_block}: subnets must fit in the block"
        )
    available = 2 ** (new_prefix - network.prefixlen)
    if count_value > available:
        raise template_error(
            f"Fn::Cidr cannot create {count_value} subnets of /{new_prefix} in {ip_block}; only {available} fit"
        )
    subnets = network.subnets(new_prefix=new_prefix)
    return [str(next(subnets)) for _ in range(count_value)]


def _integer(value: Any, what: str) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise template_error(f"Fn::Cidr {what} must be an integer") from None
