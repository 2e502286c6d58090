"""Every guardrail with its policy name and description: the pack's entry point wires these
into pulumi-policy, the tests run the same list over the real program's resources."""

from __future__ import annotations

from dataclasses import dataclass

from . import aws, services, workloads
from .props import Check, Resource, on_inputs


@dataclass(frozen=True)
class Guardrail:
    name: str
    description: str
    check: Check


GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        "no-external-services",
        "No Service of type LoadBalancer/NodePort except the ingress controller's.",
        on_inputs(services.no_external_services),
    ),
    Guardrail(
        "redis-cluster-internal",
        "Redis is never exposed outside the cluster: ClusterIP, no external IPs, no LB annotations.",
        on_inputs(services.redis_internal),
    ),
    Guardrail(
        "container-resources",
        "Every container sets cpu and memory requests and limits.",
        on_inputs(workloads.resources_set),
    ),
    Guardrail(
        "container-non-root", "Every container runs as a non-root user.", on_inputs(workloads.non_root)
    ),
    Guardrail(
        "container-image-pinned",
        "Every container image has an explicit tag other than latest, or a digest.",
        on_inputs(workloads.pinned_images),
    ),
    Guardrail(
        "elasticache-encrypted-auth",
        "ElastiCache Redis uses TLS in transit, encryption at rest and an AUTH token.",
        on_inputs(aws.elasticache_encrypted),
    ),
    Guardrail(
        "rds-encrypted-private-backed-up",
        "RDS and Aurora are encrypted at rest, not publicly accessible, deletion-protected, keep "
        "backups at least 7 days and take a final snapshot.",
        on_inputs(aws.rds_safe),
    ),
    Guardrail(
        "rds-postgres-tls-only",
        "PostgreSQL on RDS runs on a parameter group of its own with rds.force_ssl = 1.",
        on_inputs(aws.rds_postgres_tls_only),
    ),
    Guardrail(
        "security-group-world-web-only",
        "Security groups open nothing but tcp 80/443 to 0.0.0.0/0 or ::/0.",
        on_inputs(aws.security_groups_closed),
    ),
    Guardrail("ecr-scan-on-push", "ECR repositories scan images on push.", on_inputs(aws.ecr_scan_on_push)),
    Guardrail(
        "data-stores-protected",
        "ElastiCache, RDS, EKS clusters and KMS keys are protected: a preview that would replace or delete "
        "one fails, unless the stack sets awsAllowDataStoreReplacement.",
        aws.data_stores_protected,
    ),
    Guardrail(
        "pull-request-roles-read-only",
        "The roles pull requests assume (awsPreviewRoleArns) get a read-only EKS access policy and no "
        "Kubernetes groups.",
        aws.pull_request_roles_read_only,
    ),
)


def violations(resource: Resource) -> list[tuple[str, str]]:
    """(policy name, message) for every guardrail the resource breaks."""
    return [(g.name, message) for g in GUARDRAILS for message in g.check(resource)]
