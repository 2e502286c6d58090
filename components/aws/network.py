"""The VPC: public subnets (load balancers, NAT) and private subnets (nodes, Redis) across
N availability zones, NAT per zone or one shared NAT, and the tags EKS load balancers need.

Zones are chosen by zone ID: zone names are shuffled per account, IDs name the same place."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws

from components.config_reader import ConfigError

# Zones where EKS does not accept control-plane subnets (EKS user guide, subnet requirements).
EKS_INCAPABLE_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})


def choose_zone_ids(available: list[str], wanted: list[str], count: int) -> list[str]:
    """The explicit zone IDs if all are usable, else the region's first `count` usable ones by ID."""
    usable = sorted(z for z in available if z not in EKS_INCAPABLE_ZONE_IDS)
    if wanted:
        unusable = [z for z in wanted if z not in usable]
        if unusable:
            raise ConfigError(
                "awsZoneIds", f"names zones this region cannot host EKS in: {unusable} (usable: {usable})"
            )
        return wanted
    if len(usable) < count:
        raise ConfigError(
            "awsAzCount", f"is {count} but the region has {len(usable)} EKS-capable zones: {usable}"
        )
    return usable[:count]


def subnet_cidrs(cidr: str, count: int) -> tuple[list[str], list[str]]:
    """/20 private subnets first (nodes need addresses), then /24 public ones."""
    network = ipaddress.ip_network(cidr)
    private = [str(s) for s in list(network.subnets(new_prefix=20))[:count]]
    public = [str(s) for s in list(network.subnets(new_prefix=24))[-count:]]
    return private, public


class Vpc(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    private_cidrs: list[str]
    public_subnet_ids: list[pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        *,
        cidr: str,  # the VPC's range: /20 private and /24 public subnets are cut from it
        zone_ids: list[str],  # the availability zone IDs, one public and one private subnet each
        single_nat_gateway: bool,  # one NAT for all zones (cheaper, one zone's outage cuts egress)
        cluster_name: str,  # the EKS cluster to be, named in the subnets' discovery tags
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}
        vpc = aws.ec2.Vpc(
            name,
            cidr_block=cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
            opts=child,
        )
        # The default security group of a new VPC allows all traffic between its members: close it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default", vpc_id=vpc.id, tags={"Name": f"{name}-default-closed"}, opts=child
        )
        igw = aws.ec2.InternetGateway(name, vpc_id=vpc.id, tags={"Name": name}, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
            tags={"Name": f"{name}-public"},
            opts=child,
        )
        self.private_cidrs, public_cidrs = subnet_cidrs(cidr, len(zone_ids))
        self.public_subnet_ids, self.private_subnet_ids = [], []
        nat_ids: list[pulumi.Output[str]] = []
        for index, zone in enumerate(zone_ids):
            public = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                cidr_block=public_cidrs[index],
                availability_zone_id=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{zone}", "kubernetes.io/role/elb": "1", **cluster_tag},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            self.public_subnet_ids.append(public.id)
            if not single_nat_gateway or index == 0:
                eip = aws.ec2.Eip(
                    f"{name}-nat-{zone}", domain="vpc", tags={"Name": f"{name}-nat-{zone}"}, opts=child
                )
                nat = aws.ec2.NatGateway(
                    f"{name}-{zone}",
                    allocation_id=eip.id,
                    subnet_id=public.id,
                    tags={"Name": f"{name}-{zone}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
                nat_ids.append(nat.id)
            private = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=self.private_cidrs[index],
                availability_zone_id=zone,
                tags={
                    "Name": f"{name}-private-{zone}",
                    "kubernetes.io/role/internal-elb": "1",
                    **cluster_tag,
                },
                opts=child,
            )
            private_routes = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat_ids[-1]}],
                tags={"Name": f"{name}-private-{zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=private.id, route_table_id=private_routes.id, opts=child
            )
            self.private_subnet_ids.append(private.id)
        self.vpc_id = vpc.id
        self.register_outputs({"vpc_id": self.vpc_id, "private_subnet_ids": self.private_subnet_ids})
