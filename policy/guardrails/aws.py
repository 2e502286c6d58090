"""AWS resources: ElastiCache encrypted and authenticated, RDS encrypted, private, backed up and
TLS-only, security groups closed to the world except for web ports, ECR images scanned on push,
data stores protected from replacement, and the roles pull requests assume kept read-only in the
cluster."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .props import Props, Resource, is_true, items, mapping, number

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"  # Aurora
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
MIN_BACKUP_DAYS = 7  # point-in-time recovery reaches back at least a week
INLINE_RULE_GROUPS = (
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
)
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
# What holds data that cannot be recreated: the rooms' history, the cluster, its secrets' key.
DATA_STORES = (REPLICATION_GROUP, RDS_INSTANCE, RDS_CLUSTER, "aws:eks/cluster:Cluster", "aws:kms/key:Key")
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
READ_ONLY_ACCESS_POLICIES = ("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",)
# The stack settings these rules follow (Pulumi.yaml documents them).
ALLOW_DATA_STORE_REPLACEMENT = "chat-platform:awsAllowDataStoreReplacement"
PULL_REQUEST_ROLES = "chat-platform:awsPreviewRoleArns"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
WORLD = ("0.0.0.0/0", "::/0")
WEB_PORTS = (80, 443)
ALL_PROTOCOLS = ("-1", "all")
TCP = ("tcp", "6")


def elasticache_encrypted(resource_type: str, props: Props) -> list[str]:
    """Redis in ElastiCache: TLS in transit, encryption at rest, AUTH token."""
    if resource_type == CACHE_CLUSTER:
        if props.get("replicationGroupId") or str(props.get("engine", "")) not in ("redis", "valkey"):
            return []
        return ["a standalone ElastiCache Redis cluster cannot encrypt at rest: use a ReplicationGroup"]
    if resource_type != REPLICATION_GROUP:
        return []
    violations = []
    if not is_true(props.get("transitEncryptionEnabled")):
        violations.append("ElastiCache replication group needs transitEncryptionEnabled: true (TLS)")
    if not is_true(props.get("atRestEncryptionEnabled")):
        violations.append("ElastiCache replication group needs atRestEncryptionEnabled: true")
    if not props.get("authToken"):
        violations.append("ElastiCache replication group needs an authToken (Redis AUTH)")
    return violations


def rds_safe(resource_type: str, props: Props) -> list[str]:
    """An RDS instance or Aurora cluster: storage encrypted, not publicly accessible, deletion
    protection on, automated backups kept at least MIN_BACKUP_DAYS, a final snapshot on delete.
    Instances of an Aurora cluster take these from the cluster (no storage or backups of their own)."""
    if resource_type not in (RDS_INSTANCE, RDS_CLUSTER):
        return []
    if resource_type == RDS_INSTANCE and props.get("clusterIdentifier"):
        return (
            []
            if not is_true(props.get("publiclyAccessible"))
            else ["RDS instance must not be publiclyAccessible"]
        )
    what = "RDS instance" if resource_type == RDS_INSTANCE else "Aurora cluster"
    violations = []
    if not is_true(props.get("storageEncrypted")):
        violations.append(f"{what} needs storageEncrypted: true")
    if is_true(props.get("publiclyAccessible")):
        violations.append(f"{what} must not be publiclyAccessible")
    if not is_true(props.get("deletionProtection")):
        violations.append(f"{what} needs deletionProtection: true")
    days = number(props.get("backupRetentionPeriod"))
    if days is None or days < MIN_BACKUP_DAYS:
        violations.append(f"{what} needs backupRetentionPeriod of at least {MIN_BACKUP_DAYS} days")
    if is_true(props.get("skipFinalSnapshot")) or not props.get("finalSnapshotIdentifier"):
        violations.append(f"{what} needs a finalSnapshotIdentifier and skipFinalSnapshot: false")
    return violations


def rds_postgres_tls_only(resource_type: str, props: Props) -> list[str]:
    """PostgreSQL on RDS refuses unencrypted connections: its parameter group sets rds.force_ssl
    to 1, and an instance or cluster runs on a group of its own (a default group cannot be changed)."""
    if resource_type in (RDS_PARAMETER_GROUP, RDS_CLUSTER_PARAMETER_GROUP):
        family = str(props.get("family", ""))
        if not family.startswith(("postgres", "aurora-postgresql")):
            return []
        values = {
            str(mapping(p).get("name")): str(mapping(p).get("value")) for p in items(props.get("parameters"))
        }
        if values.get("rds.force_ssl") != "1":
            return [f"{family} parameter group needs rds.force_ssl = 1 (TLS only)"]
        return []
    if resource_type not in (RDS_INSTANCE, RDS_CLUSTER):
        return []
    if "postgres" not in str(props.get("engine", "")) or props.get("clusterIdentifier"):
        return []
    key = "parameterGroupName" if resource_type == RDS_INSTANCE else "dbClusterParameterGroupName"
    group = str(props.get(key) or "")
    if not group or group.startswith("default."):
        got = group or "none"
        return [f"PostgreSQL on RDS needs a {key} of its own that sets rds.force_ssl = 1, got {got}"]
    return []


def _world_opening(protocol: Any, from_port: Any, to_port: Any, cidrs: list[str]) -> str | None:
    """What a rule opens to the world beyond 80/443, or None if it opens nothing else."""
    world = [c for c in cidrs if c in WORLD]
    if not world:
        return None
    low, high = number(from_port), number(to_port)
    if str(protocol).lower() in ALL_PROTOCOLS:
        return f"all traffic to {', '.join(world)}"
    if str(protocol).lower() in TCP and low is not None and low == high and low in WEB_PORTS:
        return None
    ports = "-".join(str(int(p)) if p is not None else "?" for p in (low, high))
    return f"{protocol} ports {ports} to {', '.join(world)}"


def _strings(value: Any) -> list[str]:
    return [str(v) for v in items(value)]


def security_groups_closed(resource_type: str, props: Props) -> list[str]:
    """Ingress from 0.0.0.0/0 or ::/0 only on tcp 80 or 443, in inline and standalone rules."""
    openings: list[str | None] = []
    if resource_type in INLINE_RULE_GROUPS:
        for rule in map(mapping, items(props.get("ingress"))):
            cidrs = _strings(rule.get("cidrBlocks")) + _strings(rule.get("ipv6CidrBlocks"))
            openings.append(
                _world_opening(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"), cidrs)
            )
    elif resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        cidrs = _strings(props.get("cidrBlocks")) + _strings(props.get("ipv6CidrBlocks"))
        openings.append(
            _world_opening(props.get("protocol"), props.get("fromPort"), props.get("toPort"), cidrs)
        )
    elif resource_type == INGRESS_RULE:
        cidrs = [str(c) for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c]
        openings.append(
            _world_opening(props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"), cidrs)
        )
    return [f"security group ingress opens {o}: only tcp 80/443 may face the world" for o in openings if o]


def ecr_scan_on_push(resource_type: str, props: Props) -> list[str]:
    """Every image pushed to ECR is scanned for known vulnerabilities."""
    if resource_type != ECR_REPOSITORY:
        return []
    if is_true(mapping(props.get("imageScanningConfiguration")).get("scanOnPush")):
        return []
    return ["ECR repository needs imageScanningConfiguration.scanOnPush: true"]


def data_stores_protected(resource: Resource) -> list[str]:
    """A data store carries `protect`, so the engine fails a preview that would replace or delete
    it (a replacement starts empty). The stack's awsAllowDataStoreReplacement lifts that for a
    deliberate change."""
    if resource.type not in DATA_STORES or resource.protect:
        return []
    if resource.stack_config.get(ALLOW_DATA_STORE_REPLACEMENT, "false").strip().lower() == "true":
        return []
    return [
        f"{resource.type} holds data and must be protected (resource option `protect`), so a "
        f"change that would replace or delete it fails; to replace it deliberately set "
        f"{ALLOW_DATA_STORE_REPLACEMENT} to true for that update"
    ]


def _pull_request_roles(stack_config: Mapping[str, str]) -> set[str]:
    """The stack's awsPreviewRoleArns (an array config value arrives JSON-encoded)."""
    try:
        roles = json.loads(stack_config.get(PULL_REQUEST_ROLES) or "[]")
    except ValueError:
        return set()
    return {str(role) for role in roles} if isinstance(roles, list) else set()


def pull_request_roles_read_only(resource: Resource) -> list[str]:
    """A role pull-request runs assume (the stack's awsPreviewRoleArns) only reads the cluster: a
    read-only access policy and no Kubernetes groups (RBAC bound to a group could grant writes)."""
    if resource.type not in (ACCESS_ENTRY, ACCESS_POLICY_ASSOCIATION):
        return []
    principal = str(resource.props.get("principalArn", ""))
    if principal not in _pull_request_roles(resource.stack_config):
        return []
    who = f"{principal} is assumed by pull requests ({PULL_REQUEST_ROLES})"
    if resource.type == ACCESS_POLICY_ASSOCIATION:
        policy = str(resource.props.get("policyArn", ""))
        if policy not in READ_ONLY_ACCESS_POLICIES:
            return [f"{who} and may only read the cluster, not {policy.rsplit('/', 1)[-1]}"]
        return []
    groups = [str(g) for g in items(resource.props.get("kubernetesGroups"))]
    return [f"{who} and may only read the cluster: no Kubernetes groups, got {groups}"] if groups else []
