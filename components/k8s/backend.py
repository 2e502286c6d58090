"""The chat backend: Deployment + Service + PDB (see workload.py) and its generated
session secret; REDIS_URL and DATABASE_PASSWORD come from Secrets the caller provides. Each pod
first runs the schema migrations (an init container), so a new version serves only on its schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from chat_backend.settings import Settings

from components.k8s.hygiene import Resources
from components.k8s.workload import AppArgs, ConfigMount, Egress, Workload, WorkloadSpec, labels_for

PORT = 8000
# The backend's request body limit (MAX_BODY_BYTES), which the ingress enforces too: an oversize
# body is refused there, never half-sent to a pod that already answered 413.
MAX_BODY_BYTES: int = Settings.model_fields["max_body_bytes"].default
UID = 10001
DEFAULT_RESOURCES = Resources("250m", "256Mi", "1", "512Mi")
# Password hashes (Argon2id, 19 MiB each) may hold this share of the pod's memory limit, split
# among its workers; each worker runs no more at once (PASSWORD_HASH_MEMORY_MIB).
PASSWORD_HASH_SHARE = 0.25
ONE_HASH_MIB = 19


def password_hash_memory_mib(resources: Resources, workers: int) -> int:
    """Each worker's PASSWORD_HASH_MEMORY_MIB: its share of the limit; at least one hash."""
    share = int(resources.memory_limit_mib * PASSWORD_HASH_SHARE) // workers
    if share < ONE_HASH_MIB:
        raise ValueError(
            f"a {resources.memory_limit} memory limit leaves {workers} workers {share} MiB each for a "
            f"{ONE_HASH_MIB} MiB password hash: raise the limit or run fewer workers"
        )
    return share


# The schema migrations (Alembic, to head): a no-op once the schema is current. A rollout surges one
# pod at a time; pods created together may race, and the loser's init container, restarted, finds
# the schema current.
MIGRATE = ["python", "-m", "chat_backend", "migrate"]


@dataclass(frozen=True)
class SecretKey:
    name: pulumi.Input[str]
    key: str


@dataclass(frozen=True, kw_only=True)
class BackendArgs(AppArgs):
    redis_url: SecretKey
    redis_cluster: bool = False  # REDIS_URL names one node of a Redis Cluster
    database_url: pulumi.Input[str]  # postgresql://user@host:port/db?sslmode=..., no password
    database_password: SecretKey
    database_ca: ConfigMount | None = None  # the authorities DATABASE_URL's sslrootcert names
    allowed_origin: pulumi.Input[str]
    workers: int
    history_limit: int
    cookie_secure: bool
    # Acks (and what clients are shown) wait until this many replicas hold the message.
    ack_replicas: int = 0
    resources: Resources = DEFAULT_RESOURCES
    egress: tuple[Egress, ...] = ()  # the data stores and DNS: the only peers its pods reach


class Backend(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    pod_labels: dict[str, str]  # what its pods carry: what a NetworkPolicy admitting them selects

    def __init__(self, name: str, args: BackendArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:k8s:Backend", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        session_key = random.RandomPassword(f"{name}-session-secret", length=48, special=False, opts=child)
        # The bearer token Prometheus scrapes /api/metrics with (the endpoint is not public).
        metrics_token = random.RandomPassword(f"{name}-metrics-token", length=40, special=False, opts=child)
        secret = k8s.core.v1.Secret(
            f"{name}-session",
            metadata={"name": f"{name}-session", "namespace": args.namespace, "labels": labels_for(name)},
            string_data={"SESSION_SECRET": session_key.result, "METRICS_TOKEN": metrics_token.result},
            opts=child,
        )

        def from_secret(var: str, ref: SecretKey) -> dict[str, Any]:
            return {"name": var, "value_from": {"secret_key_ref": {"name": ref.name, "key": ref.key}}}

        env: list[dict[str, Any]] = [
            from_secret("SESSION_SECRET", SecretKey(secret.metadata.name, "SESSION_SECRET")),
            from_secret("METRICS_TOKEN", SecretKey(secret.metadata.name, "METRICS_TOKEN")),
            from_secret("REDIS_URL", args.redis_url),
            {"name": "DATABASE_URL", "value": args.database_url},
            from_secret("DATABASE_PASSWORD", args.database_password),
            {"name": "ALLOWED_ORIGINS", "value": args.allowed_origin},
            {"name": "WEB_CONCURRENCY", "value": str(args.workers)},
            {"name": "HISTORY_LIMIT", "value": str(args.history_limit)},
            {"name": "COOKIE_SECURE", "value": "true" if args.cookie_secure else "false"},
            {
                "name": "PASSWORD_HASH_MEMORY_MIB",
                "value": str(password_hash_memory_mib(args.resources, args.workers)),
            },
        ]
        if args.redis_cluster:
            env.append({"name": "REDIS_CLUSTER", "value": "true"})
        if args.ack_replicas:
            env.append({"name": "REDIS_ACK_REPLICAS", "value": str(args.ack_replicas)})
        self.workload = Workload(
            WorkloadSpec.for_app(
                name,
                args,
                port=PORT,
                uid=UID,
                readiness_path="/api/readyz",
                liveness_path="/api/healthz",
                env=env,
                init_command=MIGRATE,
                config_mounts=[args.database_ca] if args.database_ca else [],
                # SIGTERM closes sockets with 1012 and lets in-flight acks finish.
                termination_grace_seconds=30,
                egress=args.egress,
            ),
            parent=self,
        )
        self.service_name = self.workload.service.metadata.name
        self.pod_labels = self.workload.labels
        self.register_outputs({"service_name": self.service_name})
