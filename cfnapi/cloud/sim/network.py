"""Neutron in the sim: networks, subnets, ports, routers, floating IPs, security groups."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cfnapi.cloud import messages as msg
from cfnapi.cloud.errors import CloudError, invalid
from cfnapi.cloud.provider import (
    AllocationPool,
    FixedIp,
    FloatingIp,
    Network,
    Port,
    Route,
    Router,
    RouterInterface,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
)
from cfnapi.cloud.sim import ipam
from cfnapi.cloud.sim import models as m
from cfnapi.cloud.sim.base import SimService, as_utc
from cfnapi.cloud.sim.identity import new_id, new_mac_address

ROUTER_INTERFACE_OWNER = "network:router_interface"
_SERVICE_OWNERS = (ROUTER_INTERFACE_OWNER,)
MAX_TAG_LENGTH = 255  # Neutron's tag extension

# set_network_tags' kinds -> (table, Neutron's NotFound for it)
_TAGGED_KINDS = {
    "network": (m.SimNetwork, msg.network_not_found),
    "subnet": (m.SimSubnet, msg.subnet_not_found),
    "port": (m.SimPort, msg.port_not_found),
    "security_group": (m.SimSecurityGroup, msg.security_group_not_found),
    "floating_ip": (m.SimFloatingIp, msg.floating_ip_not_found),
}


class SimNetworkService(SimService):
    # --- networks -----------------------------------------------------------

    def list_networks(self) -> list[Network]:
        with self._transaction() as session:
            return [self._network_view(session, row) for row in session.scalars(self._visible(m.SimNetwork))]

    def get_network(self, network_id: str) -> Network:
        with self._transaction() as session:
            return self._network_view(session, self._find(session, m.SimNetwork, network_id, msg.network_not_found))

    def find_external_network(self) -> Network:
        with self._transaction() as session:
            row = session.scalar(self._visible(m.SimNetwork).where(m.SimNetwork.is_external.is_(True)))
            if row is None:
                raise msg.network_not_found("(external)")
            return self._network_view(session, row)

    def create_network(self, name: str, description: str = "") -> Network:
        with self._transaction() as session:
            self._enforce_quota(session, "network", 1, lambda used, allowed: msg.network_quota("network"))
            row = m.SimNetwork(id=new_id(), project_id=self.project_id, name=name, is_external=False, is_shared=False,
                               description=description)
            session.add(row)
            session.flush()
            return self._network_view(session, row)

    def delete_network(self, network_id: str) -> None:
        with self._transaction() as session:
            row = self._find_owned(session, m.SimNetwork, network_id, msg.network_not_found)
            if session.scalar(select(m.SimPort.id).where(m.SimPort.network_id == network_id).limit(1)):
                raise msg.network_in_use(network_id)
            session.execute(delete(m.SimSubnet).where(m.SimSubnet.network_id == network_id))
            session.delete(row)

    def _network_view(self, session: Session, row: m.SimNetwork) -> Network:
        subnet_ids = session.scalars(
            select(m.SimSubnet.id).where(m.SimSubnet.network_id == row.id).order_by(m.SimSubnet.id)
        ).all()
        return Network(row.id, row.name, row.is_external, row.is_shared, tuple(subnet_ids),
                       description=row.description or "", tags=tuple(row.tags or ()))

    # --- subnets ------------------------------------------------------------

    def list_subnets(self, network_id: str | None = None) -> list[Subnet]:
        with self._transaction() as session:
            query = self._visible(m.SimSubnet)
            if network_id:
                query = query.where(m.SimSubnet.network_id == network_id)
            return [_subnet_view(row) for row in session.scalars(query)]

    def get_subnet(self, subnet_id: str) -> Subnet:
        with self._transaction() as session:
            return _subnet_view(self._find(session, m.SimSubnet, subnet_id, msg.subnet_not_found))

    def create_subnet(
        self,
        network_id: str,
        cidr: str,
        *,
        name: str = "",
        gateway_ip: str | None = None,
        allocation_pools: Sequence[AllocationPool] = (),
        enable_dhcp: bool = True,
        dns_nameservers: Sequence[str] = (),
    ) -> Subnet:
        with self._transaction() as session:
            self._find_owned(session, m.SimNetwork, network_id, msg.network_not_found)
            try:
                gateway = gateway_ip or ipam.default_gateway(cidr)
            except ValueError:
                raise msg.invalid_input(f"'{cidr}' is not a valid IP subnet") from None
            if not ipam.in_subnet(cidr, gateway):
                raise invalid(f"Invalid input for operation: Gateway is not valid on subnet {cidr}.")
            pools = [(p.start, p.end) for p in allocation_pools] or ipam.default_pools(cidr, gateway)
            complaint = ipam.validate_pools(cidr, pools, gateway)
            if complaint:
                raise invalid(complaint)
            siblings = session.scalars(select(m.SimSubnet.cidr).where(m.SimSubnet.network_id == network_id))
            if any(ipam.overlaps(cidr, other) for other in siblings):
                raise msg.subnet_overlaps(cidr, network_id)
            self._enforce_quota(session, "subnet", 1, lambda used, allowed: msg.network_quota("subnet"))
            row = m.SimSubnet(
                id=new_id(), project_id=self.project_id, network_id=network_id, name=name, cidr=cidr,
                gateway_ip=gateway, allocation_pools=[list(p) for p in pools], enable_dhcp=enable_dhcp,
                dns_nameservers=list(dns_nameservers),
            )
            session.add(row)
            session.flush()
            return _subnet_view(row)

    def delete_subnet(self, subnet_id: str) -> None:
        with self._transaction() as session:
            row = self._find_owned(session, m.SimSubnet, subnet_id, msg.subnet_not_found)
            if session.scalar(select(m.SimIpAllocation.ip_address).where(m.SimIpAllocation.subnet_id == subnet_id).limit(1)):
                raise msg.subnet_in_use(subnet_id)
            session.delete(row)

    # --- ports --------------------------------------------------------------

    def list_ports(self, network_id: str | None = None, device_id: str | None = None) -> list[Port]:
        with self._transaction() as session:
            query = self._visible(m.SimPort)
            if network_id:
                query = query.where(m.SimPort.network_id == network_id)
            if device_id is not None:
                query = query.where(m.SimPort.device_id == device_id)
            return [self._port_view(session, row) for row in session.scalars(query)]

    def get_port(self, port_id: str) -> Port:
        with self._transaction() as session:
            return self._port_view(session, self._find(session, m.SimPort, port_id, msg.port_not_found))

    def create_port(
        self,
        network_id: str,
        *,
        name: str = "",
        fixed_ips: Sequence[FixedIp] = (),
        security_group_ids: Sequence[str] | None = None,
    ) -> Port:
        with self._transaction() as session:
            row = self._create_port(session, network_id, name=name, fixed_ips=fixed_ips,
                                    security_group_ids=security_group_ids)
            return self._port_view(session, row)

    def update_port_security_groups(self, port_id: str, security_group_ids: Sequence[str]) -> Port:
        with self._transaction() as session:
            row = self._find_owned(session, m.SimPort, port_id, msg.port_not_found)
            for group_id in security_group_ids:
                self._find(session, m.SimSecurityGroup, group_id, msg.security_group_not_found)
            row.security_group_ids = list(security_group_ids)
            return self._port_view(session, row)

    def delete_port(self, port_id: str) -> None:
        with self._transaction() as session:
            row = self._find_owned(session, m.SimPort, port_id, msg.port_not_found)
            if row.device_owner in _SERVICE_OWNERS:
                raise msg.service_port_in_use(port_id, row.device_owner)
            if row.device_owner.startswith("compute:"):
                raise msg.port_delete_disallowed()
            self._delete_port(session, row)

    def _create_port(
        self,
        session: Session,
        network_id: str,
        *,
        name: str = "",
        fixed_ips: Sequence[FixedIp] = (),
        security_group_ids: Sequence[str] | None = None,
        device_id: str = "",
        device_owner: str = "",
    ) -> m.SimPort:
        network = self._find(session, m.SimNetwork, network_id, msg.network_not_found)
        if security_group_ids is None:
            security_group_ids = [self._default_security_group_id(session)]
        for group_id in security_group_ids:
            self._find(session, m.SimSecurityGroup, group_id, msg.security_group_not_found)
        self._enforce_quota(session, "port", 1, lambda used, allowed: msg.network_quota("port"))
        port = m.SimPort(
            id=new_id(), project_id=self.project_id, network_id=network.id, name=name,
            mac_address=new_mac_address(), device_id=device_id, device_owner=device_owner,
            security_group_ids=list(security_group_ids),
        )
        session.add(port)
        session.flush()
        for request in fixed_ips or (FixedIp(),):
            self._allocate_fixed_ip(session, network.id, request, port.id)
        return port

    def _allocate_fixed_ip(
        self,
        session: Session,
        network_id: str,
        request: FixedIp,
        owner_id: str,
        exhausted: Callable[[str], CloudError] = msg.ip_addresses_exhausted,
    ) -> str:
        # Locking the subnets serialises allocations on PostgreSQL, where two workers would
        # otherwise both pick the same free address (SQLite serialises writers anyway).
        subnets = session.scalars(
            select(m.SimSubnet).where(m.SimSubnet.network_id == network_id).order_by(m.SimSubnet.name).with_for_update()
        ).all()
        if request.subnet_id:
            subnets = [s for s in subnets if s.id == request.subnet_id]
            if not subnets:
                raise msg.subnet_not_found(request.subnet_id)
        if request.ip_address:
            subnet = next((s for s in subnets if ipam.in_subnet(s.cidr, request.ip_address)), None)
            if subnet is None:
                raise msg.invalid_ip_for_subnet(request.ip_address)
            if request.ip_address in self._used_addresses(session, subnet):
                raise msg.ip_address_in_use(network_id, request.ip_address)
            address = request.ip_address
        else:
            if not subnets:
                raise exhausted(network_id)
            subnet, address = None, None
            for candidate in subnets:
                address = ipam.next_free(
                    [tuple(p) for p in candidate.allocation_pools], self._used_addresses(session, candidate)
                )
                if address:
                    subnet = candidate
                    break
            if subnet is None:
                raise exhausted(network_id)
        session.add(m.SimIpAllocation(subnet_id=subnet.id, ip_address=address, owner_id=owner_id))
        session.flush()
        return address

    def _used_addresses(self, session: Session, subnet: m.SimSubnet) -> set[str]:
        used = set(session.scalars(select(m.SimIpAllocation.ip_address).where(m.SimIpAllocation.subnet_id == subnet.id)))
        if subnet.gateway_ip:
            used.add(subnet.gateway_ip)
        return used

    def _delete_port(self, session: Session, port: m.SimPort) -> None:
        """Neutron disassociates floating IPs and frees addresses with the port."""
        for fip in session.scalars(select(m.SimFloatingIp).where(m.SimFloatingIp.port_id == port.id)):
            fip.port_id = fip.fixed_ip = None
        session.execute(delete(m.SimIpAllocation).where(m.SimIpAllocation.owner_id == port.id))
        session.delete(port)
        session.flush()

    def _port_fixed_ips(self, session: Session, port_id: str) -> tuple[FixedIp, ...]:
        rows = session.execute(
            select(m.SimIpAllocation.subnet_id, m.SimIpAllocation.ip_address).where(m.SimIpAllocation.owner_id == port_id)
        ).all()
        return tuple(FixedIp(subnet_id, address) for subnet_id, address in sorted(rows))

    def _port_view(self, session: Session, row: m.SimPort) -> Port:
        return Port(
            id=row.id, name=row.name, network_id=row.network_id, mac_address=row.mac_address,
            fixed_ips=self._port_fixed_ips(session, row.id), security_group_ids=tuple(row.security_group_ids),
            device_id=row.device_id, device_owner=row.device_owner, status="ACTIVE" if row.device_id else "DOWN",
            tags=tuple(row.tags or ()),
        )

    # --- routers ------------------------------------------------------------

    def list_routers(self) -> list[Router]:
        with self._transaction() as session:
            return [self._router_view(session, row) for row in session.scalars(self._visible(m.SimRouter))]

    def get_router(self, router_id: str) -> Router:
        with self._transaction() as session:
            return self._router_view(session, self._find(session, m.SimRouter, router_id, msg.router_not_found))

    def create_router(self, name: str, external_network_id: str | None = None) -> Router:
        with self._transaction() as session:
            self._enforce_quota(session, "router", 1, lambda used, allowed: msg.network_quota("router"))
            row = m.SimRouter(id=new_id(), project_id=self.project_id, name=name, routes=[])
            session.add(row)
            session.flush()
            if external_network_id:
                self._set_gateway(session, row, external_network_id)
            return self._router_view(session, row)

    def set_router_gateway(self, router_id: str, external_network_id: str | None) -> Router:
        with self._transaction() as session:
            row = self._find_owned(session, m.SimRouter, router_id, msg.router_not_found)
            self._set_gateway(session, row, external_network_id)
            return self._router_view(session, row)

    def _set_gateway(self, session: Session, router: m.SimRouter, external_network_id: str | None) -> None:
        session.execute(delete(m.SimIpAllocation).where(m.SimIpAllocation.owner_id == router.id))
        router.external_network_id = router.external_ip = None
        if external_network_id is None:
            return
        network = self._find(session, m.SimNetwork, external_network_id, msg.network_not_found)
        if not network.is_external:
            raise invalid(f"Bad router request: Network {network.id} is not an external network.")
        router.external_network_id = network.id
        router.external_ip = self._allocate_fixed_ip(session, network.id, FixedIp(), router.id)

    def add_router_interface(
        self, router_id: str, *, subnet_id: str | None = None, port_id: str | None = None
    ) -> RouterInterface:
        with self._transaction() as session:
            router = self._find_owned(session, m.SimRouter, router_id, msg.router_not_found)
            if (subnet_id is None) == (port_id is None):
                raise invalid("Bad router request: Either subnet_id or port_id must be specified.")
            if port_id:
                port = self._find_owned(session, m.SimPort, port_id, msg.port_not_found)
                if port.device_id:
                    raise msg.port_in_use(port.id, port.network_id, port.device_id)
                fixed = self._port_fixed_ips(session, port.id)
                subnet_id = fixed[0].subnet_id if fixed else None
            else:
                subnet = self._find(session, m.SimSubnet, subnet_id, msg.subnet_not_found)
                if self._interface_port(session, router.id, subnet.id) is not None:
                    raise msg.router_interface_exists(subnet.id, router.id)
                port = self._create_port(
                    session, subnet.network_id, security_group_ids=[],
                    fixed_ips=[FixedIp(subnet.id, None)], device_id=router.id, device_owner=ROUTER_INTERFACE_OWNER,
                )
                # A subnet's interface takes the subnet's gateway address, not a pool address.
                session.execute(delete(m.SimIpAllocation).where(m.SimIpAllocation.owner_id == port.id))
                session.add(m.SimIpAllocation(subnet_id=subnet.id, ip_address=subnet.gateway_ip, owner_id=port.id))
            port.device_id, port.device_owner = router.id, ROUTER_INTERFACE_OWNER
            session.flush()
            return RouterInterface(router.id, port.id, subnet_id or "")

    def remove_router_interface(
        self, router_id: str, *, subnet_id: str | None = None, port_id: str | None = None
    ) -> None:
        with self._transaction() as session:
            router = self._find_owned(session, m.SimRouter, router_id, msg.router_not_found)
            if port_id:
                port = session.scalar(
                    select(m.SimPort).where(m.SimPort.id == port_id, m.SimPort.device_id == router.id)
                )
                if port is None:
                    raise msg.router_interface_not_found(router.id, port_id)
            else:
                port = self._interface_port(session, router.id, subnet_id or "")
                if port is None:
                    raise msg.router_interface_not_found_for_subnet(router.id, subnet_id or "")
            self._delete_port(session, port)

    def set_router_routes(self, router_id: str, routes: Sequence[Route]) -> Router:
        with self._transaction() as session:
            router = self._find_owned(session, m.SimRouter, router_id, msg.router_not_found)
            router.routes = [[r.destination, r.nexthop] for r in routes]
            return self._router_view(session, router)

    def delete_router(self, router_id: str) -> None:
        with self._transaction() as session:
            router = self._find_owned(session, m.SimRouter, router_id, msg.router_not_found)
            if session.scalar(select(m.SimPort.id).where(m.SimPort.device_id == router.id).limit(1)):
                raise msg.router_in_use(router.id)
            session.execute(delete(m.SimIpAllocation).where(m.SimIpAllocation.owner_id == router.id))
            session.delete(router)

    def _interface_port(self, session: Session, router_id: str, subnet_id: str) -> m.SimPort | None:
        return session.scalar(
            select(m.SimPort)
            .join(m.SimIpAllocation, m.SimIpAllocation.owner_id == m.SimPort.id)
            .where(m.SimPort.device_id == router_id, m.SimIpAllocation.subnet_id == subnet_id)
        )

    def _router_view(self, session: Session, row: m.SimRouter) -> Router:
        ports = session.scalars(
            select(m.SimPort).where(m.SimPort.device_id == row.id, m.SimPort.device_owner == ROUTER_INTERFACE_OWNER)
        ).all()
        interfaces = []
        for port in ports:
            for fixed in self._port_fixed_ips(session, port.id):
                interfaces.append(RouterInterface(row.id, port.id, fixed.subnet_id or ""))
        return Router(
            id=row.id, name=row.name, external_network_id=row.external_network_id, external_ip=row.external_ip,
            interfaces=tuple(sorted(interfaces, key=lambda i: i.port_id)),
            routes=tuple(Route(d, n) for d, n in row.routes),
        )

    # --- floating IPs -------------------------------------------------------

    def list_floating_ips(self) -> list[FloatingIp]:
        with self._transaction() as session:
            return [_floating_ip_view(row) for row in session.scalars(self._visible(m.SimFloatingIp))]

    def get_floating_ip(self, floating_ip_id: str) -> FloatingIp:
        with self._transaction() as session:
            return _floating_ip_view(self._find(session, m.SimFloatingIp, floating_ip_id, msg.floating_ip_not_found))

    def allocate_floating_ip(self, external_network_id: str | None = None, description: str = "") -> FloatingIp:
        with self._transaction() as session:
            if external_network_id:
                network = self._find(session, m.SimNetwork, external_network_id, msg.network_not_found)
                if not network.is_external:
                    raise msg.not_external_network(network.id)
            else:
                network = session.scalar(self._visible(m.SimNetwork).where(m.SimNetwork.is_external.is_(True)))
                if network is None:
                    raise msg.network_not_found("(external)")
            self._enforce_quota(session, "floatingip", 1, lambda used, allowed: msg.network_quota("floatingip"))
            fip_id = new_id()
            address = self._allocate_fixed_ip(
                session, network.id, FixedIp(), fip_id, exhausted=msg.external_addresses_exhausted
            )
            row = m.SimFloatingIp(id=fip_id, project_id=self.project_id, network_id=network.id, address=address,
                                  description=description)
            session.add(row)
            session.flush()
            return _floating_ip_view(row)

    def associate_floating_ip(self, floating_ip_id: str, port_id: str, fixed_ip: str | None = None) -> FloatingIp:
        with self._transaction() as session:
            fip = self._find_owned(session, m.SimFloatingIp, floating_ip_id, msg.floating_ip_not_found)
            port = self._find(session, m.SimPort, port_id, msg.port_not_found)
            addresses = [f.ip_address for f in self._port_fixed_ips(session, port.id)]
            if fixed_ip is None:
                if not addresses:
                    raise invalid(f"Bad floatingip request: Port {port.id} does not have any fixed IP addresses.")
                fixed_ip = addresses[0]
            elif fixed_ip not in addresses:
                raise invalid(f"Bad floatingip request: Port {port.id} does not have fixed ip {fixed_ip}.")
            taken = session.scalar(
                select(m.SimFloatingIp).where(
                    m.SimFloatingIp.port_id == port.id, m.SimFloatingIp.fixed_ip == fixed_ip,
                    m.SimFloatingIp.id != fip.id,
                )
            )
            if taken is not None:
                raise msg.floating_ip_already_associated(fip.address, port.id)
            fip.port_id, fip.fixed_ip = port.id, fixed_ip
            return _floating_ip_view(fip)

    def disassociate_floating_ip(self, floating_ip_id: str) -> FloatingIp:
        with self._transaction() as session:
            fip = self._find_owned(session, m.SimFloatingIp, floating_ip_id, msg.floating_ip_not_found)
            fip.port_id = fip.fixed_ip = None
            return _floating_ip_view(fip)

    def release_floating_ip(self, floating_ip_id: str) -> None:
        with self._transaction() as session:
            fip = self._find_owned(session, m.SimFloatingIp, floating_ip_id, msg.floating_ip_not_found)
            session.execute(delete(m.SimIpAllocation).where(m.SimIpAllocation.owner_id == fip.id))
            session.delete(fip)

    # --- security groups ----------------------------------------------------

    def list_security_groups(self) -> list[SecurityGroup]:
        with self._transaction() as session:
            return [self._group_view(session, row) for row in session.scalars(self._visible(m.SimSecurityGroup))]

    def get_security_group(self, group_id: str) -> SecurityGroup:
        with self._transaction() as session:
            return self._group_view(session, self._find(session, m.SimSecurityGroup, group_id, msg.security_group_not_found))

    def find_security_group(self, name_or_id: str) -> SecurityGroup | None:
        with self._transaction() as session:
            row = self._lookup_group(session, name_or_id)
            return None if row is None else self._group_view(session, row)

    def create_security_group(self, name: str, description: str = "") -> SecurityGroup:
        with self._transaction() as session:
            self._enforce_quota(session, "security_group", 1, lambda used, allowed: msg.network_quota("security_group"))
            row = m.SimSecurityGroup(id=new_id(), project_id=self.project_id, name=name, description=description,
                                     created_at=self.clock())
            session.add(row)
            session.flush()
            # Neutron gives every new group an allow-all egress rule per ethertype.
            for ethertype in ("IPv4", "IPv6"):
                session.add(m.SimSecurityGroupRule(
                    id=new_id(), project_id=self.project_id, security_group_id=row.id,
                    direction="egress", ethertype=ethertype,
                ))
            session.flush()
            return self._group_view(session, row)

    def delete_security_group(self, group_id: str) -> None:
        with self._transaction() as session:
            row = self._find_owned(session, m.SimSecurityGroup, group_id, msg.security_group_not_found)
            if any(row.id in port.security_group_ids for port in session.scalars(select(m.SimPort))):
                raise msg.security_group_in_use(row.id)
            session.execute(delete(m.SimSecurityGroupRule).where(m.SimSecurityGroupRule.security_group_id == row.id))
            session.delete(row)

    def create_security_group_rule(
        self,
        security_group_id: str,
        *,
        direction: str,
        ethertype: str = "IPv4",
        protocol: str | None = None,
        port_range_min: int | None = None,
        port_range_max: int | None = None,
        remote_ip_prefix: str | None = None,
        remote_group_id: str | None = None,
        description: str = "",
    ) -> SecurityGroupRule:
        with self._transaction() as session:
            group = self._find_owned(session, m.SimSecurityGroup, security_group_id, msg.security_group_not_found)
            if direction not in ("ingress", "egress"):
                raise msg.invalid_input(f"{direction} is not in valid_values")
            if port_range_min is not None and port_range_max is not None and port_range_min > port_range_max:
                raise msg.security_group_rule_bad_port_range()
            if remote_group_id:
                self._find(session, m.SimSecurityGroup, remote_group_id, msg.security_group_not_found)
            if remote_ip_prefix is not None and not ipam.is_ip_prefix(remote_ip_prefix):
                raise msg.invalid_remote_ip_prefix(remote_ip_prefix)
            fields = dict(
                direction=direction, ethertype=ethertype, protocol=protocol, port_range_min=port_range_min,
                port_range_max=port_range_max, remote_ip_prefix=remote_ip_prefix, remote_group_id=remote_group_id,
            )
            for existing in session.scalars(
                select(m.SimSecurityGroupRule).where(m.SimSecurityGroupRule.security_group_id == group.id)
            ):
                if all(getattr(existing, key) == value for key, value in fields.items()):
                    raise msg.security_group_rule_exists(existing.id)
            self._enforce_quota(
                session, "security_group_rule", 1, lambda used, allowed: msg.network_quota("security_group_rule")
            )
            row = m.SimSecurityGroupRule(id=new_id(), project_id=self.project_id, security_group_id=group.id,
                                         description=description, **fields)
            session.add(row)
            session.flush()
            return _rule_view(row)

    def delete_security_group_rule(self, rule_id: str) -> None:
        with self._transaction() as session:
            row = self._find_owned(session, m.SimSecurityGroupRule, rule_id, msg.security_group_rule_not_found)
            session.delete(row)

    # --- tags -----------------------------------------------------------------

    def set_network_tags(self, kind: str, resource_id: str, tags: Sequence[str]) -> None:
        """Neutron's PUT .../tags: the new set replaces the old (a repeated tag is kept once)."""
        model, missing = _TAGGED_KINDS[kind]
        for tag in tags:
            if len(tag) > MAX_TAG_LENGTH:
                raise msg.invalid_input(f"'{tag}' exceeds maximum length of {MAX_TAG_LENGTH}")
        with self._transaction() as session:
            row = self._find_owned(session, model, resource_id, missing)
            row.tags = list(dict.fromkeys(tags))

    def _lookup_group(self, session: Session, name_or_id: str) -> m.SimSecurityGroup | None:
        """By id, else by name, preferring the project's own group over the shared one."""
        row = session.scalar(self._visible(m.SimSecurityGroup).where(m.SimSecurityGroup.id == name_or_id))
        if row is not None:
            return row
        rows = session.scalars(self._visible(m.SimSecurityGroup).where(m.SimSecurityGroup.name == name_or_id)).all()
        return min(rows, key=lambda r: r.project_id is None, default=None)

    def _default_security_group_id(self, session: Session) -> str:
        row = self._lookup_group(session, self.config.default_security_group)
        if row is None:
            raise msg.security_group_not_found(self.config.default_security_group)
        return row.id

    def _group_view(self, session: Session, row: m.SimSecurityGroup) -> SecurityGroup:
        rules = session.scalars(
            select(m.SimSecurityGroupRule).where(m.SimSecurityGroupRule.security_group_id == row.id)
            .order_by(m.SimSecurityGroupRule.id)
        )
        return SecurityGroup(row.id, row.name, row.description, tuple(_rule_view(r) for r in rules),
                             tuple(row.tags or ()), as_utc(row.created_at) if row.created_at else None)


def _subnet_view(row: m.SimSubnet) -> Subnet:
    return Subnet(
        id=row.id, name=row.name, network_id=row.network_id, cidr=row.cidr, gateway_ip=row.gateway_ip,
        allocation_pools=tuple(AllocationPool(s, e) for s, e in row.allocation_pools),
        enable_dhcp=row.enable_dhcp, dns_nameservers=tuple(row.dns_nameservers or ()), tags=tuple(row.tags or ()),
    )


def _floating_ip_view(row: m.SimFloatingIp) -> FloatingIp:
    return FloatingIp(
        id=row.id, floating_ip_address=row.address, floating_network_id=row.network_id,
        port_id=row.port_id, fixed_ip_address=row.fixed_ip, status="ACTIVE" if row.port_id else "DOWN",
        tags=tuple(row.tags or ()),
        description=row.description or "",
    )


def _rule_view(row: m.SimSecurityGroupRule) -> SecurityGroupRule:
    return SecurityGroupRule(
        id=row.id, security_group_id=row.security_group_id, direction=row.direction, ethertype=row.ethertype,
        protocol=row.protocol, port_range_min=row.port_range_min, port_range_max=row.port_range_max,
        remote_ip_prefix=row.remote_ip_prefix, remote_group_id=row.remote_group_id,
        description=row.description or "",
    )
