"""The aws stack's section of the configuration (keys `chat-platform:aws*` in Pulumi.yaml)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from components.config import ConfigError, Reader

_INSTANCE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")
_K8S_VERSION = re.compile(r"^1\.(2[89]|3\d)$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{4,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


@dataclass(frozen=True)
class NodeGroupSize:
    min: int
    desired: int
    max: int


@dataclass(frozen=True)
class AwsConfig:
    az_count: int
    vpc_cidr: str
    single_nat_gateway: bool
    kubernetes_version: str
    public_access_cidrs: list[str]
    system_instance_type: str
    system_nodes: NodeGroupSize
    spot_instance_types: list[str]
    spot_nodes: NodeGroupSize
    hosted_zone_id: str
    acme_email: str
    acme_production: bool
    spot_termination_handler: bool
    redis_node_type: str
    redis_engine_version: str
    redis_replicas: int
    redis_snapshot_days: int
    redis_auth_update: str


def _cidr(key: str, value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ConfigError(key, f"must be a CIDR like 203.0.113.0/24, got {value!r}") from None


def _instance_types(key: str, values: list[str]) -> list[str]:
    for value in values:
        if not _INSTANCE.fullmatch(value):
            raise ConfigError(key, f"must hold EC2 instance types like m6i.large, got {value!r}")
    return values


def _size(read: Reader, prefix: str, defaults: tuple[int, int, int]) -> NodeGroupSize:
    low = read.integer(f"{prefix}MinSize", defaults[0], 0, 100)
    high = read.integer(f"{prefix}MaxSize", defaults[2], 1, 100)
    desired = read.integer(f"{prefix}DesiredSize", defaults[1], 0, 100)
    if not low <= desired <= high:
        raise ConfigError(
            f"{prefix}DesiredSize", f"must be between {prefix}MinSize ({low}) and {prefix}MaxSize ({high})"
        )
    return NodeGroupSize(low, desired, high)


def load_aws(read: Reader) -> AwsConfig:
    cidrs = [_cidr("awsPublicAccessCidrs", c) for c in read.string_list("awsPublicAccessCidrs", [])]
    if not cidrs:
        raise ConfigError(
            "awsPublicAccessCidrs", "must list the CIDRs allowed to reach the EKS API (e.g. your office)"
        )
    spot_types = _instance_types("awsSpotInstanceTypes", read.string_list("awsSpotInstanceTypes", []))
    if len(spot_types) < 2:
        raise ConfigError("awsSpotInstanceTypes", "must list at least two instance types of the same shape")
    zone = read.string("awsHostedZoneId", "", _ZONE_ID, "a Route53 hosted zone id like Z0123456789ABC")
    email = read.string("awsAcmeEmail", "", _EMAIL, "the e-mail Let's Encrypt writes to")
    return AwsConfig(
        az_count=read.integer("awsAzCount", 3, 2, 6),
        vpc_cidr=_cidr("awsVpcCidr", read.string("awsVpcCidr", "10.40.0.0/16")),
        single_nat_gateway=read.boolean("awsSingleNatGateway", False),
        kubernetes_version=read.string(
            "awsKubernetesVersion", "1.33", _K8S_VERSION, "an EKS version like 1.33"
        ),
        public_access_cidrs=cidrs,
        system_instance_type=_instance_types(
            "awsSystemInstanceType", [read.string("awsSystemInstanceType", "m6i.large")]
        )[0],
        system_nodes=_size(read, "awsSystem", (2, 2, 4)),
        spot_instance_types=spot_types,
        spot_nodes=_size(read, "awsSpot", (2, 3, 12)),
        hosted_zone_id=zone,
        acme_email=email,
        acme_production=read.choice("awsAcmeServer", "staging", ("staging", "production")) == "production",
        spot_termination_handler=read.boolean("awsSpotTerminationHandler", True),
        redis_node_type=read.string("awsRedisNodeType", "cache.t4g.medium"),
        redis_engine_version=read.string("awsRedisEngineVersion", "7.1"),
        redis_replicas=read.integer("awsRedisReplicas", 2, 2, 6),
        redis_snapshot_days=read.integer("awsRedisSnapshotDays", 7, 1, 35),
        redis_auth_update=read.choice("awsRedisAuthUpdate", "ROTATE", ("ROTATE", "SET")),
    )
