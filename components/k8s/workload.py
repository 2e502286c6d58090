"""A stateless web workload: Deployment + ClusterIP Service + PodDisruptionBudget +
NetworkPolicy (only the ingress controller may connect).

Backend and Frontend are both this shape; they differ only in the WorkloadSpec they pass,
so the hygiene (security context, probes, rolling update, spread, PDB) lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s.hygiene import Resources, container_security, http_probe, pod_security
from components.k8s.scheduling import Scheduling


def labels_for(name: str) -> dict[str, str]:
    """The labels a workload's pods carry (and that NetworkPolicies select on)."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "chat-platform"}


@dataclass(frozen=True, kw_only=True)
class AppArgs:
    """What every app component (Backend, Frontend) takes from the stack that composes it."""

    namespace: pulumi.Input[str]
    image: pulumi.Input[str]  # a local content-hash tag (minikube) or a registry digest (aws)
    replicas: int
    resources: Resources
    image_pull_policy: str = "IfNotPresent"
    scheduling: Scheduling = field(default_factory=Scheduling)
    ingress_namespace: str = "ingress-nginx"  # where the ingress controller runs


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
    env: list[dict[str, Any]] = field(default_factory=list)
    scheduling: Scheduling = field(default_factory=Scheduling)
    termination_grace_seconds: int = 30
    # The namespace of the ingress controller: the only pods allowed to reach this workload.
    ingress_namespace: str = "ingress-nginx"

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
            ingress_namespace=app.ingress_namespace,
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
            "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],  # noqa: S108 (an emptyDir in the pod)
        }
        pod_spec: dict[str, Any] = {
            "automount_service_account_token": False,
            "security_context": pod_security(spec.uid),
            "termination_grace_period_seconds": spec.termination_grace_seconds,
            "containers": [container],
            "volumes": [{"name": "tmp", "empty_dir": {"size_limit": "64Mi"}}],
            "topology_spread_constraints": [
                {
                    "max_skew": 1,
                    "topology_key": key,
                    "when_unsatisfiable": "ScheduleAnyway",
                    "label_selector": {"match_labels": labels},
                }
                for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
            ],
            "tolerations": spec.scheduling.tolerations,
        }
        affinity = spec.scheduling.affinity()
        if affinity:
            pod_spec["affinity"] = affinity
        self.deployment = k8s.apps.v1.Deployment(
            spec.name,
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
            spec={
                "replicas": spec.replicas,
                "revision_history_limit": 5,
                "selector": {"match_labels": labels},
                # Never fewer ready pods than asked for during a rollout.
                "strategy": {
                    "type": "RollingUpdate",
                    "rolling_update": {"max_unavailable": 0, "max_surge": 1},
                },
                "template": {
                    # The image reference is in the template, so a new image rolls the pods.
                    "metadata": {"labels": labels, "annotations": {"chat-platform/image": spec.image}},
                    "spec": pod_spec,
                },
            },
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
        ingress_only: dict[str, Any] = {
            "pod_selector": {"match_labels": labels},
            "policy_types": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespace_selector": {
                                "match_labels": {"kubernetes.io/metadata.name": spec.ingress_namespace}
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": spec.port}],
                }
            ],
        }
        self.network_policy = k8s.networking.v1.NetworkPolicy(
            spec.name,
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
            spec=ingress_only,
            opts=opts,
        )
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            spec.name,
            metadata={"name": spec.name, "namespace": spec.namespace, "labels": labels},
            spec={"max_unavailable": 1, "selector": {"match_labels": labels}},
            opts=opts,
        )
