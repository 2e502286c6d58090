"""Redis with a PersistentVolumeClaim: one-replica StatefulSet, AOF on, AUTH password
generated and kept in a Secret, reachable only from the pods it admits, never from outside."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.k8s.admission import admit_only
from components.k8s.hygiene import Resources, container_security, pod_security
from components.k8s.stateful import data_claim, secret_file, service_host
from components.k8s.workload import Egress, labels_for
from components.redis_port import REDIS_PORT

REDIS_IMAGE = "redis:7.4.2-alpine"
REDIS_UID = 10999  # a high UID of our own; the image runs as any user given /data via fsGroup
DEFAULT_RESOURCES = Resources("100m", "128Mi", "500m", "512Mi")
# Redis refuses writes (noeviction, services/redis/redis.conf) past this share of the container's
# memory limit, instead of being OOM-killed: the rest is for the AOF rewrite's fork, buffers
# and fragmentation.
MAXMEMORY_SHARE = 0.7
# The settings the local redis-server runs with too (tools/devstack/redis_server.py).
SHARED_CONF = Path(__file__).resolve().parents[2] / "services" / "redis" / "redis.conf"


@dataclass(frozen=True)
class RedisArgs:
    namespace: pulumi.Input[str]
    storage_size: str
    storage_class: str
    appendfsync: str
    resources: Resources = DEFAULT_RESOURCES


def maxmemory_mib(resources: Resources) -> int:
    return int(resources.memory_limit_mib * MAXMEMORY_SHARE)


def redis_conf(appendfsync: str, resources: Resources = DEFAULT_RESOURCES) -> str:
    """The shared settings, plus where the pod listens, keeps its data and reads its AUTH, and
    its memory ceiling, from the container's limit."""
    own = [
        "bind 0.0.0.0",
        f"port {REDIS_PORT}",
        "dir /data",
        f"appendfsync {appendfsync}",
        f"maxmemory {maxmemory_mib(resources)}mb",
    ]
    return "\n".join([*own, SHARED_CONF.read_text(), "include /etc/redis/auth/auth.conf", ""])


class Redis(pulumi.ComponentResource):
    url: pulumi.Output[str]
    host: pulumi.Output[str]
    cluster = False  # one StatefulSet pod: a single node
    reach: Egress  # its pod, in the namespace of the pods it admits

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:k8s:Redis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = labels_for(name)
        self.reach = Egress(to=({"pod_selector": {"match_labels": labels}},), ports=(REDIS_PORT,))
        password = random.RandomPassword(f"{name}-password", length=40, special=False, opts=child)
        secret = k8s.core.v1.Secret(
            f"{name}-auth",
            metadata={"name": f"{name}-auth", "namespace": args.namespace, "labels": labels},
            string_data={
                "password": password.result,
                "auth.conf": password.result.apply(lambda p: f"requirepass {p}\n"),
            },
            opts=child,
        )
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": f"{name}-config", "namespace": args.namespace, "labels": labels},
            data={"redis.conf": redis_conf(args.appendfsync, args.resources)},
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            name,
            metadata={"name": name, "namespace": args.namespace, "labels": labels},
            spec={
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "redis", "port": REDIS_PORT, "target_port": "redis"}],
            },
            opts=child,
        )
        # The password is read from the mounted file, so it never sits in the pod spec's env; it
        # reaches redis-cli through REDISCLI_AUTH rather than argv, where `ps` would show it.
        ping = [
            "sh",
            "-c",
            "REDISCLI_AUTH=\"$(sed -n 's/^requirepass //p' /etc/redis/auth/auth.conf)\" redis-cli ping"
            " | grep -qx PONG",
        ]
        self.statefulset = k8s.apps.v1.StatefulSet(
            name,
            metadata={"name": name, "namespace": args.namespace, "labels": labels},
            spec={
                "replicas": 1,
                "service_name": name,
                "selector": {"match_labels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automount_service_account_token": False,
                        "security_context": pod_security(REDIS_UID),
                        # SIGTERM makes Redis fsync the AOF and exit; give it the time to.
                        "termination_grace_period_seconds": 30,
                        "containers": [
                            {
                                "name": "redis",
                                "image": REDIS_IMAGE,
                                "image_pull_policy": "IfNotPresent",
                                "command": ["redis-server", "/etc/redis/conf/redis.conf"],
                                "ports": [{"name": "redis", "container_port": REDIS_PORT}],
                                "resources": args.resources.spec(),
                                "security_context": container_security(REDIS_UID),
                                "readiness_probe": {
                                    "exec": {"command": ping},
                                    "period_seconds": 5,
                                    "timeout_seconds": 2,
                                },
                                "liveness_probe": {
                                    "tcp_socket": {"port": "redis"},
                                    "period_seconds": 10,
                                    "failure_threshold": 6,
                                },
                                "volume_mounts": [
                                    {"name": "data", "mount_path": "/data"},
                                    # Siblings, not nested: a mount point inside a ConfigMap
                                    # volume cannot be created (the volume is read-only).
                                    {"name": "config", "mount_path": "/etc/redis/conf", "read_only": True},
                                    {"name": "auth", "mount_path": "/etc/redis/auth", "read_only": True},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "config", "config_map": {"name": config.metadata.name}},
                            secret_file(secret, "auth.conf", "auth.conf"),
                        ],
                    },
                },
                "volume_claim_templates": [data_claim(labels, args.storage_class, args.storage_size)],
            },
            opts=child,
        )
        self.host = service_host(name, args.namespace)
        self.url = pulumi.Output.secret(
            pulumi.Output.concat("redis://:", password.result, "@", self.host, f":{REDIS_PORT}/0")
        )
        # How `admit` names and labels the NetworkPolicy: like every other object of this Redis.
        self._metadata: dict[str, Any] = {"name": name, "namespace": args.namespace, "labels": labels}
        self.register_outputs({"host": self.host, "url": self.url})

    def admit(self, pod_labels: dict[str, str]) -> None:
        """Let only the pods carrying `pod_labels` connect (a NetworkPolicy). Apart from the
        constructor: those pods (the backend's) need this Redis's URL before they exist."""
        admit_only(self._metadata, pod_labels, REDIS_PORT, self)
