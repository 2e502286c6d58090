"""The production platform on AWS: VPC, EKS with on-demand and spot node groups, Traefik +
cert-manager, cluster-autoscaler, spot termination handling, ElastiCache, ECR, Route53 —
running the same Backend and Frontend components as minikube."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.aws.addons import EksAddons, EksAddonsArgs
from components.aws.autoscaler import AutoscalerArgs, ClusterAutoscaler
from components.aws.cert_manager import CertManager, CertManagerArgs
from components.aws.dns import DnsRecord, DnsRecordArgs
from components.aws.eks import EksCluster, EksClusterArgs
from components.aws.elasticache import ElastiCache, ElastiCacheArgs
from components.aws.network import Vpc, VpcArgs
from components.aws.nodegroups import CAPACITY_LABEL, SPOT_TAINT, NodeGroups, NodeGroupsArgs
from components.aws.registry import EcrImage, EcrImageArgs
from components.aws.spot_handler import SpotTerminationHandler
from components.aws.traefik import NAMESPACE as TRAEFIK_NAMESPACE
from components.aws.traefik import Traefik, TraefikArgs
from components.config import StackConfig
from components.k8s.backend import Backend, BackendArgs, SecretKey
from components.k8s.frontend import Frontend, FrontendArgs
from components.k8s.namespace import chat_namespace
from components.k8s.scheduling import Scheduling

SERVICES = Path(__file__).resolve().parents[2] / "services"
TLS_SECRET = "chat-tls"  # noqa: S105 (the name of the certificate's Secret)
# App pods prefer spot capacity and tolerate its taint; PDBs and spread keep the chat up
# while the termination handler drains an interrupted node.
ON_SPOT = Scheduling(
    tolerations=[{"key": SPOT_TAINT["key"], "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
    preferred_node_labels={CAPACITY_LABEL: "SPOT"},
)


def build(config: StackConfig) -> None:
    assert config.aws is not None
    cfg, app = config.aws, config.app
    region = pulumi.Config("aws").require("region")
    cluster_name = f"chat-{pulumi.get_stack()}"
    zones = aws.get_availability_zones(state="available").names[: cfg.az_count]
    if len(zones) < cfg.az_count:
        raise ValueError(f"chat-platform:awsAzCount is {cfg.az_count} but {region} offers {len(zones)} zones")

    vpc = Vpc("chat", VpcArgs(cfg.vpc_cidr, zones, cfg.single_nat_gateway, cluster_name))
    cluster = EksCluster(
        cluster_name,
        EksClusterArgs(cfg.kubernetes_version, region, vpc.private_subnet_ids, cfg.public_access_cidrs),
    )
    nodes = NodeGroups(
        cluster_name,
        NodeGroupsArgs(
            cluster.name,
            vpc.private_subnet_ids,
            cfg.system_instance_type,
            cfg.system_nodes,
            cfg.spot_instance_types,
            cfg.spot_nodes,
        ),
    )
    EksAddons(
        cluster_name,
        EksAddonsArgs(cluster.name, cluster.oidc_provider_arn, cluster.oidc_provider_url, list(nodes.groups)),
    )
    in_cluster = pulumi.ResourceOptions(provider=cluster.provider, depends_on=nodes.groups)
    namespace = chat_namespace(app.namespace, in_cluster).metadata.name

    redis = ElastiCache(
        "chat",
        ElastiCacheArgs(
            vpc.vpc_id,
            vpc.private_subnet_ids,
            cluster.security_group_id,
            cfg.redis_node_type,
            cfg.redis_engine_version,
            cfg.redis_replicas,
            cfg.redis_snapshot_days,
            cfg.redis_auth_update,
            namespace,
            cluster.provider,
        ),
    )
    backend_image = EcrImage("chat-backend", EcrImageArgs("chat-backend", SERVICES / "backend"))
    frontend_image = EcrImage("chat-frontend", EcrImageArgs("chat-frontend", SERVICES / "frontend"))
    url = f"https://{app.host}"
    backend = Backend(
        "chat-backend",
        BackendArgs(
            namespace=namespace,
            image=backend_image.image_ref,
            redis_url=SecretKey(redis.secret_name, "REDIS_URL"),
            allowed_origin=url,
            replicas=app.backend_replicas,
            workers=app.backend_workers,
            history_limit=app.history_limit,
            cookie_secure=True,
            scheduling=ON_SPOT,
            ingress_namespace=TRAEFIK_NAMESPACE,
        ),
        opts=in_cluster,
    )
    frontend = Frontend(
        "chat-frontend",
        FrontendArgs(
            namespace=namespace,
            image=frontend_image.image_ref,
            replicas=app.frontend_replicas,
            scheduling=ON_SPOT,
            ingress_namespace=TRAEFIK_NAMESPACE,
        ),
        opts=in_cluster,
    )
    oidc = (cluster.oidc_provider_arn, cluster.oidc_provider_url)
    certs = CertManager(
        "cert-manager",
        CertManagerArgs(
            cfg.hosted_zone_id,
            region,
            cfg.acme_email,
            cfg.acme_production,
            app.host,
            namespace,
            TLS_SECRET,
            *oidc,
        ),
        opts=in_cluster,
    )
    traefik = Traefik(
        "traefik",
        TraefikArgs(
            namespace, app.host, TLS_SECRET, backend.service_name, frontend.service_name, certs.certificate
        ),
        opts=in_cluster,
    )
    ClusterAutoscaler(
        "cluster-autoscaler",
        AutoscalerArgs(cluster_name, cfg.kubernetes_version, region, *oidc),
        opts=in_cluster,
    )
    if cfg.spot_termination_handler:
        SpotTerminationHandler("aws-node-termination-handler", opts=in_cluster)
    DnsRecord(
        "chat",
        DnsRecordArgs(
            cfg.hosted_zone_id, app.host, f"{TRAEFIK_NAMESPACE}/traefik", traefik.release, cluster.provider
        ),
    )
    pulumi.export("url", url)
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("clusterName", cluster.name)
    pulumi.export("namespace", namespace)
    pulumi.export(
        "ecrRepositories",
        {"backend": backend_image.repository_url, "frontend": frontend_image.repository_url},
    )
