"""The aws stack's section of the configuration (keys `chat-platform:aws*` in Pulumi.yaml)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from components.aws.releases import RELEASES
from components.config_reader import ConfigError, Reader

_INSTANCE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")
_ZONE_ID = re.compile(r"^[a-z]{2,}[0-9]-az[0-9]+$")
# The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{4,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-\d:\d{12}:connection/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_GITHUB_ACCOUNT_ID = re.compile(r"^[1-9][0-9]{0,11}$")
_DB_INSTANCE = re.compile(r"^db\.[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")
# The RDS for PostgreSQL majors in standard support.
POSTGRES_MAJORS = ("15", "16", "17")


@dataclass(frozen=True)
class NodeGroupSize:
    min: int
    desired: int
    max: int


@dataclass(frozen=True)
class CiRunnerConfig:
    connection_arn: str  # the CodeConnections (or CodeStar) connection to GitHub
    repository: str  # owner/name
    actor_ids: list[str]  # the GitHub accounts (numeric IDs) whose workflow jobs the runner takes


@dataclass(frozen=True)
class RdsConfig:
    instance_class: str
    major_version: str
    storage_gb: int
    max_storage_gb: int
    multi_az: bool
    backup_days: int
    slow_query_ms: int
    performance_insights: bool


@dataclass(frozen=True)
class AwsConfig:
    az_count: int
    zone_ids: list[str]  # explicit availability zone IDs, or [] for the region's first az_count
    vpc_cidr: str
    single_nat_gateway: bool
    kubernetes_version: str
    public_access_cidrs: list[str]
    log_retention_days: int
    system_instance_type: str
    system_nodes: NodeGroupSize
    spot_instance_types: list[str]
    spot_nodes: NodeGroupSize
    hosted_zone_id: str
    acme_email: str
    acme_production: bool
    spot_termination_handler: bool
    backend_max_replicas: int
    ecr_force_delete: bool
    redis_node_type: str
    redis_engine_version: str
    redis_replicas: int
    redis_shards: int
    redis_snapshot_days: int
    redis_auth_update: str
    redis_ack_replicas: int
    postgres: RdsConfig
    ci_runner: CiRunnerConfig | None  # None: no CodeBuild runner (awsCiConnectionArn empty)
    admin_role_arns: list[str]  # cluster administrators: the deploy role, break-glass roles
    preview_role_arns: list[str]  # what pull-request runs assume: read-only in the cluster
    allow_data_store_replacement: bool  # drops `protect` from the data stores for one deliberate change


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


def _zone_ids(read: Reader, az_count: int) -> list[str]:
    ids = read.string_list("awsZoneIds", [])
    for zone_id in ids:
        if not _ZONE_ID.fullmatch(zone_id):
            raise ConfigError("awsZoneIds", f"must hold availability zone IDs like use1-az1, got {zone_id!r}")
    if ids and len(set(ids)) != az_count:
        raise ConfigError("awsZoneIds", f"must list awsAzCount ({az_count}) different zone IDs, got {ids}")
    return ids


def _ci_runner(read: Reader) -> CiRunnerConfig | None:
    connection = read.string("awsCiConnectionArn", "")
    if not connection:
        return None
    if not _CONNECTION_ARN.fullmatch(connection):
        raise ConfigError(
            "awsCiConnectionArn",
            "must be empty or a connection ARN like "
            f"arn:aws:codeconnections:us-east-1:123456789012:connection/<uuid>, got {connection!r}",
        )
    repository = read.string("awsCiRepository", "")
    if not _REPOSITORY.fullmatch(repository):
        raise ConfigError(
            "awsCiRepository",
            f"must be the GitHub repository as owner/name (awsCiConnectionArn is set), got {repository!r}",
        )
    actor_ids = read.string_list("awsCiActorIds", [])
    if not actor_ids or not all(_GITHUB_ACCOUNT_ID.fullmatch(a) for a in actor_ids):
        raise ConfigError(
            "awsCiActorIds",
            "must list the numeric GitHub account IDs whose jobs may run inside the VPC "
            f"(`gh api users/<login> --jq .id`; awsCiConnectionArn is set), got {actor_ids}",
        )
    return CiRunnerConfig(connection, repository, actor_ids)


def _role_arns(read: Reader, key: str) -> list[str]:
    arns = read.string_list(key, [])
    for arn in arns:
        if not _ROLE_ARN.fullmatch(arn):
            raise ConfigError(
                key, f"must hold IAM role ARNs like arn:aws:iam::123456789012:role/name, got {arn!r}"
            )
    names = [arn.rsplit("/", 1)[1] for arn in arns]
    if len(set(names)) != len(names):
        raise ConfigError(key, f"must name each role once, got {arns}")
    return arns


def _cluster_roles(read: Reader) -> tuple[list[str], list[str]]:
    """Administrators and the read-only roles of pull-request runs; never one role in both, since
    a pull request's code must not be able to change the cluster."""
    admins = _role_arns(read, "awsAdminRoleArns")
    previews = _role_arns(read, "awsPreviewRoleArns")
    admin_names = {arn.rsplit("/", 1)[1] for arn in admins}
    both = [arn for arn in previews if arn.rsplit("/", 1)[1] in admin_names]
    if both:
        raise ConfigError(
            "awsAdminRoleArns",
            f"must hold administrators only: {both} are in awsPreviewRoleArns, which pull requests assume",
        )
    return admins, previews


def _redis_nodes(read: Reader) -> tuple[int, int]:
    """Nodes per shard and the replicas an ack waits for. While one replica is away (a failover,
    its maintenance) the others must still be enough to confirm a send, or every send fails."""
    ack_replicas = read.integer("awsRedisAckReplicas", 1, 0, 4)
    nodes = read.integer("awsRedisReplicas", 3, 2, 6)
    if ack_replicas and nodes < ack_replicas + 2:
        raise ConfigError(
            "awsRedisReplicas",
            f"must be at least {ack_replicas + 2} while awsRedisAckReplicas is {ack_replicas}: the primary, "
            f"{ack_replicas} replica(s) to confirm each send and one that may be away, got {nodes}",
        )
    return nodes, ack_replicas


def _rds(read: Reader) -> RdsConfig:
    storage = read.integer("awsPostgresStorageGb", 20, 20, 65536)
    max_storage = read.integer("awsPostgresMaxStorageGb", 100, 20, 65536)
    if max_storage < storage:
        raise ConfigError("awsPostgresMaxStorageGb", f"must be at least awsPostgresStorageGb ({storage})")
    return RdsConfig(
        instance_class=read.string(
            "awsPostgresInstanceClass",
            "db.m6g.large",
            _DB_INSTANCE,
            "an RDS instance class like db.m6g.large",
        ),
        major_version=read.choice("awsPostgresVersion", "15", POSTGRES_MAJORS),
        storage_gb=storage,
        max_storage_gb=max_storage,
        multi_az=read.boolean("awsPostgresMultiAz", True),
        backup_days=read.integer("awsPostgresBackupDays", 7, 7, 35),
        slow_query_ms=read.integer("awsPostgresSlowQueryMs", 500, -1, 3_600_000),
        performance_insights=read.boolean("awsPostgresPerformanceInsights", True),
    )


def load_aws(read: Reader) -> AwsConfig:
    cidrs = [_cidr("awsPublicAccessCidrs", c) for c in read.string_list("awsPublicAccessCidrs", [])]
    if not cidrs:
        raise ConfigError(
            "awsPublicAccessCidrs", "must list the CIDRs allowed to reach the EKS API (e.g. your office)"
        )
    spot_types = _instance_types("awsSpotInstanceTypes", read.string_list("awsSpotInstanceTypes", []))
    if len(spot_types) < 2:
        raise ConfigError("awsSpotInstanceTypes", "must list at least two instance types of the same shape")
    zone = read.string("awsHostedZoneId", "", _HOSTED_ZONE_ID, "a Route53 hosted zone id like Z0123456789ABC")
    email = read.string("awsAcmeEmail", "", _EMAIL, "the e-mail Let's Encrypt writes to")
    az_count = read.integer("awsAzCount", 3, 2, 6)
    redis_replicas, redis_ack_replicas = _redis_nodes(read)
    admin_role_arns, preview_role_arns = _cluster_roles(read)
    retention = read.integer("awsLogRetentionDays", 90, 1, 3653)
    if retention not in LOG_RETENTION_DAYS:
        raise ConfigError(
            "awsLogRetentionDays",
            f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}, got {retention}",
        )
    return AwsConfig(
        az_count=az_count,
        zone_ids=_zone_ids(read, az_count),
        vpc_cidr=_cidr("awsVpcCidr", read.string("awsVpcCidr", "10.40.0.0/16")),
        single_nat_gateway=read.boolean("awsSingleNatGateway", False),
        kubernetes_version=read.choice("awsKubernetesVersion", "1.35", tuple(RELEASES)),
        public_access_cidrs=cidrs,
        log_retention_days=retention,
        system_instance_type=_instance_types(
            "awsSystemInstanceType", [read.string("awsSystemInstanceType", "m6i.large")]
        )[0],
        system_nodes=_size(read, "awsSystem", (2, 2, 4)),
        spot_instance_types=spot_types,
        spot_nodes=_size(read, "awsSpot", (2, 3, 12)),
        hosted_zone_id=zone,
        acme_email=email,
        acme_production=read.choice("awsAcmeServer", "staging", ("staging", "production")) == "production",
        spot_termination_handler=read.boolean("awsSpotTerminationHandler", False),
        backend_max_replicas=read.integer("awsBackendMaxReplicas", 12, 2, 100),
        ecr_force_delete=read.boolean("awsEcrForceDelete", False),
        redis_node_type=read.string("awsRedisNodeType", "cache.t4g.medium"),
        redis_engine_version=read.string("awsRedisEngineVersion", "7.1"),
        redis_replicas=redis_replicas,
        redis_shards=read.integer("awsRedisShards", 1, 1, 30),
        redis_snapshot_days=read.integer("awsRedisSnapshotDays", 7, 1, 35),
        redis_auth_update=read.choice("awsRedisAuthUpdate", "ROTATE", ("ROTATE", "SET")),
        redis_ack_replicas=redis_ack_replicas,
        postgres=_rds(read),
        ci_runner=_ci_runner(read),
        admin_role_arns=admin_role_arns,
        preview_role_arns=preview_role_arns,
        allow_data_store_replacement=read.boolean("awsAllowDataStoreReplacement", False),
    )
