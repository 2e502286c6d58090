"""A stateless web workload: Deployment + ClusterIP Service + PodDisruptionBudget +
NetworkPolicy (only the ingress controller's pods may connect; the pods connect only where the
workload's `egress` says), and optionally a HorizontalPodAutoscaler.

Backend and Frontend are both this shape; they differ only in the WorkloadSpec they pass,
so the hygiene (security context, probes, rolling update, spread, PDB) lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s.hygiene import Resources, container_security, http_probe, pod_security
from components.k8s.scheduling import Scheduling, spread_over_nodes_and_zones

# cluster-autoscaler refuses to drain a node whose pods use local storage unless told the
# volume may go: without this, nodes added in a spike are never removed again.
SAFE_TO_EVICT_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
# How long a quiet WebSocket may stay open through the ingress controller (NGINX or Traefik): a chat
# socket lives for hours and the client pings well within this; proxies' defaults cut it in a minute.
WEBSOCKET_IDLE_SECONDS = 3600
SCRATCH_VOLUME = "tmp"


def labels_for(name: str) -> dict[str, str]:
    """The labels a workload's pods carry (and that NetworkPolicies select on)."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "chat-platform"}


@dataclass(frozen=True)
class IngressController:
    """Where the ingress controller's pods run and the labels they carry: the only peers an
    app's NetworkPolicy admits, hence the only ones whose X-Forwarded-For reaches the app."""

    namespace: str
    pod_labels: dict[str, str]


@dataclass(frozen=True)
class Egress:
    """Where a workload's pods may connect: NetworkPolicy peers (`to`) on these ports."""

    to: tuple[dict[str, Any], ...]
    ports: tuple[int, ...]
    protocols: tuple[str, ...] = ("TCP",)

    def rule(self) -> dict[str, Any]:
        ports = [{"protocol": protocol, "port": port} for port in self.ports for protocol in self.protocols]
        return {"to": list(self.to), "ports": ports}


# The cluster's DNS (CoreDNS as kube-dns, on port 53, on minikube and EKS alike), which every pod
# that resolves a Service or an AWS endpoint by name needs.
CLUSTER_DNS = Egress(
    to=(
        {
            "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
            "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
        },
    ),
    ports=(53,),
    protocols=("UDP", "TCP"),
)


@dataclass(frozen=True)
class Autoscaling:
    """A HorizontalPodAutoscaler on CPU, from the workload's `replicas` up to `max_replicas`,
    keeping the pods' average CPU at their request; it, not the Deployment, then owns the replica
    count. Target and request are one figure: nodes are filled by requests, so a target above the
    request packs pods that throttle while the cluster-autoscaler sees no pending pod to add a
    node for."""

    max_replicas: int


@dataclass(frozen=True, kw_only=True)
class AppArgs:
    """What every app component (Backend, Frontend) takes from the stack that composes it."""

    namespace: pulumi.Input[str]
    image: pulumi.Input[str]  # a local content-hash tag (minikube) or a registry digest (aws)
    replicas: int
    resources: Resources
    ingress_controller: IngressController
    image_pull_policy: str = "IfNotPresent"
    scheduling: Scheduling = field(default_factory=Scheduling)
    autoscaling: Autoscaling | None = None


@dataclass(frozen=True)
class ConfigMount:
    """A ConfigMap mounted read-only into the workload's containers."""

    volume: str  # the volume's name in the pod
    config_map: pulumi.Input[str]
    path: str


@dataclass(frozen=True)
class WorkloadSpec:
    name: str
    namespace: pulumi.Input[str]
    image: pulumi.Input[str]
    image_pull_policy: str
    port: int
    replicas: int
    uid: int
    readiness_path: str
    liveness_path: str
    resources: Resources
    ingress_controller: IngressController
    env: list[dict[str, Any]] = field(default_factory=list)
    scheduling: Scheduling = field(default_factory=Scheduling)
    autoscaling: Autoscaling | None = None
    termination_grace_seconds: int = 30
    # Run to completion before the app starts, in the same image with the same env and limits.
    init_command: list[str] | None = None
    config_mounts: list[ConfigMount] = field(default_factory=list)
    egress: tuple[Egress, ...] = ()  # nothing else: a pod that needs no peer reaches none

    @classmethod
    def for_app(cls, name: str, app: AppArgs, **specific: Any) -> WorkloadSpec:
        """The spec of an app component: what the stack chose (AppArgs) plus what the app is."""
        return cls(
            name=name,
            namespace=app.namespace,
            image=app.image,
            image_pull_policy=app.image_pull_policy,
            replicas=app.replicas,
            resources=app.resources,
            scheduling=app.scheduling,
            ingress_controller=app.ingress_controller,
            autoscaling=app.autoscaling,
            **specific,
        )


class Workload:
    """Registers the three objects as children of `parent`; exposes the Service name."""

    def __init__(self, spec: WorkloadSpec, parent: pulumi.Resource):
        labels = labels_for(spec.name)
        self.labels = labels
        opts = pulumi.ResourceOptions(parent=parent)
        container: dict[str, Any] = {
            "name": spec.name,
            "image": spec.image,
            "image_pull_policy": spec.image_pull_policy,
            "ports": [{"name": "http", "container_port": spec.port}],
            "env": spec.env,
            "resources": spec.resources.spec(),
            "security_context": container_security(spec.uid),
            "readiness_probe": http_probe(spec.readiness_path, "http", period=5, failures=2),
            "liveness_probe": http_probe(spec.liveness_path, "http", period=10, failures=3),
            "volume_mounts": [
                {"name": SCRATCH_VOLUME, "mount_path": "/tmp"},  # noqa: S108 (an emptyDir in the pod)
                *({"name": m.volume, "mount_path": m.path, "read_only": True} for m in spec.config_mounts),
            ],
        }
        pod_spec: dict[str, Any] = {
            "automount_service_account_token": False,
            "security_context": pod_security(spec.uid),
            "termination_grace_period_seconds": spec.termination_grace_seconds,
            "containers": [container],
            "volumes": [
                {"name": SCRATCH_VOLUME, "empty_dir": {"size_limit": "64Mi"}},
                *({"name": m.volume, "config_map": {"name": m.config_map}} for m in spec.config_mounts),
            ],
            "topology_spread_constraints": spread_over_nodes_and_zones(labels),
            "tolerations": spec.scheduling.tolerations,
        }
        if spec.init_command is not None:
            init = {
                k: v for k, v in container.items() if k not in ("ports", "readiness_probe", "liveness_probe")
            }
            pod_spec["init_containers"] = [{**init, "name": "init", "command": spec.init_command}]
        affinity = spec.scheduling.affinity()
        if affinity:
            pod_spec["affinity"] = affinity
        deployment_spec: dict[str, Any] = {
            "revision_history_limit": 5,
            "selector": {"match_labels": labels},
            # Never fewer ready pods than asked for during a rollout.
            "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": 1}},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        # The image reference is in the template, so a new image rolls the pods.
                        "chat-platform/image": spec.image,
                        SAFE_TO_EVICT_LOCAL_VOLUMES: SCRATCH_VOLUME,
                    },
                },
                "spec": pod_spec,
            },
        }
        if spec.autoscaling is None:
            # With an autoscaler the field stays unset, or every `pulumi up` would undo its scaling.
            deployment_spec["replicas"] = spec.replicas
        self.deployment = k8s.apps.v1.Deployment(
            spec.name,
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
            spec=deployment_spec,
            opts=opts,
        )
        self.service = k8s.core.v1.Service(
            spec.name,
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
            spec={
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "http", "port": spec.port, "target_port": "http"}],
            },
            opts=opts,
        )
        fenced: dict[str, Any] = {
            "pod_selector": {"match_labels": labels},
            "policy_types": ["Ingress", "Egress"],
            "egress": [rule.rule() for rule in spec.egress],
            "ingress": [
                {
                    "from": [
                        {
                            "namespace_selector": {
                                "match_labels": {
                                    "kubernetes.io/metadata.name": spec.ingress_controller.namespace
                                }
                            },
                            "pod_selector": {"match_labels": spec.ingress_controller.pod_labels},
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": spec.port}],
                }
            ],
        }
        self.network_policy = k8s.networking.v1.NetworkPolicy(
            spec.name,
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
            spec=fenced,
            opts=opts,
        )
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            spec.name,
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
            spec={"max_unavailable": 1, "selector": {"match_labels": labels}},
            opts=opts,
        )
        self.autoscaler = None
        if spec.autoscaling is not None:
            self.autoscaler = k8s.autoscaling.v2.HorizontalPodAutoscaler(
                spec.name,
                metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
                spec={
                    "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": spec.name},
                    "min_replicas": spec.replicas,
                    "max_replicas": spec.autoscaling.max_replicas,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {
                                    "type": "AverageValue",
                                    "average_value": spec.resources.cpu_request,
                                },
                            },
                        }
                    ],
                    # Removing a pod drops its sockets (clients resume elsewhere): scale in slowly.
                    "behavior": {
                        "scale_down": {
                            "stabilization_window_seconds": 600,
                            "policies": [{"type": "Pods", "value": 1, "period_seconds": 120}],
                        }
                    },
                },
                opts=opts,
            )
