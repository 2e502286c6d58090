"""The production platform on AWS: VPC, EKS with on-demand and spot node groups, Traefik +
cert-manager, cluster-autoscaler, spot termination handling, ElastiCache, RDS for PostgreSQL, ECR,
Route53 —
running the same chat composition (components/chat_app.py) as minikube."""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pulumi_aws as aws

from components.aws.addons import EksAddons
from components.aws.autoscaler import ClusterAutoscaler
from components.aws.cert_manager import CertManager
from components.aws.ci_runner import CiRunner, project_name
from components.aws.cluster_access import CLUSTER_ADMIN_POLICY, VIEW_POLICY, ClusterAccess, admins_alias
from components.aws.dns import DnsRecord
from components.aws.eks import EksCluster
from components.aws.elasticache import ElastiCache
from components.aws.network import Vpc, choose_zone_ids
from components.aws.nodegroups import CAPACITY_LABEL, SPOT_TAINT, NodeGroups
from components.aws.rds import Rds
from components.aws.registry import EcrImage
from components.aws.spot_handler import SpotTerminationHandler
from components.aws.traefik import CONTROLLER as TRAEFIK
from components.aws.traefik import Traefik
from components.chat_app import ChatAppArgs, chat_app
from components.config import StackConfig
from components.config_reader import ConfigError
from components.k8s import backend
from components.k8s.local_image import SERVICES
from components.k8s.namespace import chat_namespace
from components.k8s.scheduling import Scheduling
from components.k8s.workload import Autoscaling

TLS_SECRET = "chat-tls"  # noqa: S105 (the name of the certificate's Secret)
# App pods prefer spot capacity and tolerate its taint; PDBs and spread keep the chat up
# while the termination handler drains an interrupted node.
ON_SPOT = Scheduling(
    tolerations=[{"key": SPOT_TAINT["key"], "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
    preferred_node_labels={CAPACITY_LABEL: "SPOT"},
)
# `make bench` (docs/performance.md): the backend (one pod's 2 workers) delivers at least
# 70,000 messages per server CPU-second (70,175 and 74,074 in two runs at 400 msgs/s).
DELIVERIES_PER_CPU_SECOND = 70_000
# What each backend pod is kept near: 40,000 deliveries/s (that step's load, p99 62 ms), the rest
# of its 1-CPU limit left for a burst while new pods start.
DELIVERIES_PER_POD = 40_000
# A backend pod's CPU request, which is also the autoscaler's target (571m).
BACKEND_CPU = f"{round(1000 * DELIVERIES_PER_POD / DELIVERIES_PER_CPU_SECOND)}m"


def build(config: StackConfig) -> None:
    cfg, app = config.aws_section(), config.app
    if app.backend_replicas < 2:
        raise ConfigError(
            "backendReplicas", "must be at least 2 on aws: the autoscaler's floor, one pod per node loss"
        )
    if cfg.backend_max_replicas < app.backend_replicas:
        raise ConfigError(
            "awsBackendMaxReplicas", f"must be at least backendReplicas ({app.backend_replicas})"
        )
    region = pulumi.Config("aws").require("region")
    cluster_name = f"chat-{pulumi.get_stack()}"
    protect_data = not cfg.allow_data_store_replacement
    # Zones that need no opt-in (Local and Wavelength zones do, and EKS cannot use them).
    available = aws.get_availability_zones(
        state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    ).zone_ids
    zone_ids = choose_zone_ids(available, cfg.zone_ids, cfg.az_count)

    vpc = Vpc(
        "chat",
        cidr=cfg.vpc_cidr,
        zone_ids=zone_ids,
        single_nat_gateway=cfg.single_nat_gateway,
        cluster_name=cluster_name,
    )
    cluster = EksCluster(
        cluster_name,
        version=cfg.kubernetes_version,
        region=region,
        subnet_ids=vpc.private_subnet_ids,
        public_access_cidrs=cfg.public_access_cidrs,
        log_retention_days=cfg.log_retention_days,
        protect=protect_data,
    ).ref
    # The pipeline's way in (docs/aws.md, "How the pipeline reaches the cluster"): access entries
    # for its roles (administrators; pull requests' roles read-only), and its runner inside the VPC,
    # at the private endpoint.
    admins = f"{cluster_name}-admins"
    if cfg.admin_role_arns:
        ClusterAccess(
            admins,
            cluster=cluster,
            role_arns=cfg.admin_role_arns,
            policy_arn=CLUSTER_ADMIN_POLICY,
            opts=pulumi.ResourceOptions(aliases=[admins_alias()]),
        )
    if cfg.preview_role_arns:
        ClusterAccess(
            f"{cluster_name}-viewers",
            cluster=cluster,
            role_arns=cfg.preview_role_arns,
            policy_arn=VIEW_POLICY,
            moved_from=admins,  # stacks deployed before made the preview role an administrator
        )
    if cfg.ci_runner is not None:
        project = project_name(cluster_name)
        runner = CiRunner(
            project,
            cluster=cluster,
            project=project,
            repository=cfg.ci_runner.repository,
            actor_ids=cfg.ci_runner.actor_ids,
            connection_arn=cfg.ci_runner.connection_arn,
            vpc_id=vpc.vpc_id,
            subnet_ids=vpc.private_subnet_ids,
            log_retention_days=cfg.log_retention_days,
        )
        pulumi.export("ciRunnerProject", runner.project_name)
        pulumi.export("ciRunnerLabel", runner.label)
    nodes = NodeGroups(
        cluster_name,
        cluster=cluster,
        subnet_ids=vpc.private_subnet_ids,
        system_instance_type=cfg.system_instance_type,
        system_size=cfg.system_nodes,
        spot_instance_types=cfg.spot_instance_types,
        spot_size=cfg.spot_nodes,
    )
    EksAddons(cluster_name, cluster=cluster, node_groups=nodes.groups)
    in_cluster = pulumi.ResourceOptions(provider=cluster.provider, depends_on=nodes.groups)
    namespace = chat_namespace(app.namespace, in_cluster).metadata.name

    redis = ElastiCache(
        "chat",
        cluster=cluster,
        vpc_id=vpc.vpc_id,
        subnet_ids=vpc.private_subnet_ids,
        subnet_cidrs=vpc.private_cidrs,
        node_type=cfg.redis_node_type,
        engine_version=cfg.redis_engine_version,
        replicas=cfg.redis_replicas,
        shards=cfg.redis_shards,
        snapshot_days=cfg.redis_snapshot_days,
        auth_update=cfg.redis_auth_update,
        final_snapshot=f"{cluster_name}-redis-final",
        protect=protect_data,
    )
    db = cfg.postgres
    postgres = Rds(
        "chat",
        cluster=cluster,
        vpc_id=vpc.vpc_id,
        subnet_ids=vpc.private_subnet_ids,
        subnet_cidrs=vpc.private_cidrs,
        identifier=f"{cluster_name}-postgres",
        instance_class=db.instance_class,
        major_version=db.major_version,
        storage_gb=db.storage_gb,
        max_storage_gb=db.max_storage_gb,
        multi_az=db.multi_az,
        backup_days=db.backup_days,
        slow_query_ms=db.slow_query_ms,
        performance_insights=db.performance_insights,
        protect=protect_data,
    )
    # Each image is the prebuilt reference config gives, or built from services/ and pushed to ECR.
    built = {
        part: EcrImage(
            f"chat-{part}",
            repository=f"{cluster_name}-{part}",  # one account may hold several stacks
            context=SERVICES / part,
            force_delete=cfg.ecr_force_delete,
        )
        for part, given in (("backend", app.backend_image), ("frontend", app.frontend_image))
        if not given
    }
    chat = chat_app(
        ChatAppArgs(
            app=app,
            namespace=namespace,
            redis=redis,
            database=postgres,
            backend_image=app.backend_image or built["backend"].image_ref,
            frontend_image=app.frontend_image or built["frontend"].image_ref,
            ingress_controller=TRAEFIK,
            tls=True,
            scheduling=ON_SPOT,
            backend_autoscaling=Autoscaling(cfg.backend_max_replicas),
            backend_resources=replace(backend.DEFAULT_RESOURCES, cpu_request=BACKEND_CPU),
            ack_replicas=cfg.redis_ack_replicas,
            # Stacks deployed before hold this Secret as ElastiCache's child `chat-url`.
            redis_url_aliases=[pulumi.Alias(name="chat-url", parent=redis)],
        ),
        in_cluster,
    )
    certs = CertManager(
        "cert-manager",
        cluster=cluster,
        hosted_zone_id=cfg.hosted_zone_id,
        email=cfg.acme_email,
        production=cfg.acme_production,
        host=app.host,
        app_namespace=namespace,
        tls_secret=TLS_SECRET,
        opts=in_cluster,
    )
    traefik = Traefik(
        "traefik",
        cluster=cluster,
        app_namespace=namespace,
        host=app.host,
        tls_secret=TLS_SECRET,
        backend_service=chat.backend.service_name,
        frontend_service=chat.frontend.service_name,
        certificate=certs.certificate,
        opts=in_cluster,
    )
    ClusterAutoscaler(
        "cluster-autoscaler",
        cluster=cluster,
        spot_group=nodes.spot.node_group_name,
        on_demand_group=nodes.system.node_group_name,
        opts=in_cluster,
    )
    if cfg.spot_termination_handler:
        SpotTerminationHandler("aws-node-termination-handler", opts=in_cluster)
    DnsRecord(
        "chat",
        cluster=cluster,
        hosted_zone_id=cfg.hosted_zone_id,
        host=app.host,
        load_balancer_service=traefik.load_balancer_service,
    )
    pulumi.export("url", chat.url)
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("clusterName", cluster.name)
    pulumi.export("namespace", namespace)
    pulumi.export(
        "ecrRepositories",
        {part: image.repository_url for part, image in built.items()},
    )
