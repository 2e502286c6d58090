"""Every guardrail with its policy name and description: the pack's entry point wires these
into pulumi-policy, the tests run the same list over the real program's resources."""

from __future__ import annotations

from dataclasses import dataclass

from . import aws, services, workloads
from .props import Props, Rule


@dataclass(frozen=True)
class Guardrail:
    name: str
    description: str
    check: Rule


GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        "no-external-services",
        "No Service of type LoadBalancer/NodePort except the ingress controller's.",
        services.no_external_services,
    ),
    Guardrail(
        "redis-cluster-internal",
        "Redis is never exposed outside the cluster: ClusterIP, no external IPs, no LB annotations.",
        services.redis_internal,
    ),
    Guardrail(
        "container-resources",
        "Every container sets cpu and memory requests and limits.",
        workloads.resources_set,
    ),
    Guardrail("container-non-root", "Every container runs as a non-root user.", workloads.non_root),
    Guardrail(
        "container-image-pinned",
        "Every container image has an explicit tag other than latest, or a digest.",
        workloads.pinned_images,
    ),
    Guardrail(
        "elasticache-encrypted-auth",
        "ElastiCache Redis uses TLS in transit, encryption at rest and an AUTH token.",
        aws.elasticache_encrypted,
    ),
    Guardrail(
        "security-group-world-web-only",
        "Security groups open nothing but tcp 80/443 to 0.0.0.0/0 or ::/0.",
        aws.security_groups_closed,
    ),
    Guardrail("ecr-scan-on-push", "ECR repositories scan images on push.", aws.ecr_scan_on_push),
)


def violations(resource_type: str, props: Props) -> list[tuple[str, str]]:
    """(policy name, message) for every guardrail the resource breaks."""
    return [(g.name, message) for g in GUARDRAILS for message in g.check(resource_type, props)]
