"""The chat as every platform runs it: the backend and the frontend, wired to the stack's Redis
through the one `redis-url` Secret the backend reads REDIS_URL from, and to its PostgreSQL by
DATABASE_URL and the `database` Secret it reads DATABASE_PASSWORD from. A stack passes only what is
its own: the store flavours, the images, the ingress controller, TLS, scheduling, autoscaling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.config import AppConfig
from components.database import CA_DIR, CA_FILE
from components.k8s.backend import DEFAULT_RESOURCES, Backend, BackendArgs, SecretKey
from components.k8s.frontend import Frontend, FrontendArgs
from components.k8s.hygiene import Resources
from components.k8s.scheduling import Scheduling
from components.k8s.workload import CLUSTER_DNS, Autoscaling, ConfigMount, Egress, IngressController

REDIS_URL_SECRET = "redis-url"  # noqa: S105 (the Secret's name)
DATABASE_SECRET = "database"  # noqa: S105 (the Secret's name)
DATABASE_CA = "database-ca"


class RedisStore(Protocol):
    """A Redis flavour (in-cluster `Redis`, AWS `ElastiCache`) as the chat sees it."""

    url: pulumi.Output[str]  # redis:// or rediss://, with the password: a secret Output
    cluster: bool  # a Redis Cluster (rooms sharded over its masters): the backend needs its client
    reach: Egress  # where its nodes are, as the backend's egress NetworkPolicy allows them


class DatabaseStore(Protocol):
    """A PostgreSQL flavour (in-cluster `Postgres`, AWS `Rds`) as the chat sees it."""

    url: pulumi.Output[str]  # postgresql://, without the password
    password: pulumi.Output[str]  # the backend role's: a secret Output
    reach: Egress  # where its server is, as the backend's egress NetworkPolicy allows it

    @property
    def ca_bundle(self) -> str | None:
        """PEM the backend verifies the server with (mounted at CA_FILE); None: no TLS."""


@dataclass(frozen=True, kw_only=True)
class ChatAppArgs:
    app: AppConfig  # host, replicas, workers and history limit from the stack's config
    namespace: pulumi.Input[str]
    redis: RedisStore
    database: DatabaseStore
    # The references to deploy: built by the stack, or the prebuilt ones AppConfig names.
    backend_image: pulumi.Input[str]
    frontend_image: pulumi.Input[str]
    ingress_controller: IngressController  # the only pods the apps admit
    tls: bool  # served over HTTPS: an https:// origin and Secure session cookies
    scheduling: Scheduling = field(default_factory=Scheduling)
    backend_autoscaling: Autoscaling | None = None
    backend_resources: Resources = DEFAULT_RESOURCES  # with autoscaling, its CPU request is the target
    ack_replicas: int = 0  # acks wait until this many Redis replicas hold the message
    # Where this stack's state knew the redis-url Secret before, so `pulumi up` keeps it.
    redis_url_aliases: Sequence[pulumi.Alias] = ()


@dataclass(frozen=True)
class ChatApp:
    url: str  # where browsers open the chat
    backend: Backend
    frontend: Frontend


def chat_app(args: ChatAppArgs, opts: pulumi.ResourceOptions) -> ChatApp:
    """Registers the chat's objects at the stack's top level (`opts`: the cluster's provider)."""
    app = args.app
    url = f"{'https' if args.tls else 'http'}://{app.host}"
    redis_url = k8s.core.v1.Secret(
        REDIS_URL_SECRET,
        metadata={"name": REDIS_URL_SECRET, "namespace": args.namespace},
        string_data={"REDIS_URL": args.redis.url},
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=list(args.redis_url_aliases))),
    )
    database = k8s.core.v1.Secret(
        DATABASE_SECRET,
        metadata={"name": DATABASE_SECRET, "namespace": args.namespace},
        string_data={"DATABASE_PASSWORD": args.database.password},
        opts=opts,
    )
    database_ca = None
    if args.database.ca_bundle is not None:
        authorities = k8s.core.v1.ConfigMap(
            DATABASE_CA,
            metadata={"name": DATABASE_CA, "namespace": args.namespace},
            data={PurePosixPath(CA_FILE).name: args.database.ca_bundle},
            opts=opts,
        )
        database_ca = ConfigMount(DATABASE_CA, authorities.metadata.name, CA_DIR)
    backend = Backend(
        "chat-backend",
        BackendArgs(
            namespace=args.namespace,
            image=args.backend_image,
            redis_url=SecretKey(redis_url.metadata.name, "REDIS_URL"),
            redis_cluster=args.redis.cluster,
            database_url=args.database.url,
            database_password=SecretKey(database.metadata.name, "DATABASE_PASSWORD"),
            database_ca=database_ca,
            ack_replicas=args.ack_replicas,
            allowed_origin=url,
            replicas=app.backend_replicas,
            autoscaling=args.backend_autoscaling,
            resources=args.backend_resources,
            workers=app.backend_workers,
            history_limit=app.history_limit,
            cookie_secure=args.tls,
            scheduling=args.scheduling,
            ingress_controller=args.ingress_controller,
            egress=(CLUSTER_DNS, args.redis.reach, args.database.reach),
        ),
        opts=opts,
    )
    frontend = Frontend(
        "chat-frontend",
        FrontendArgs(
            namespace=args.namespace,
            image=args.frontend_image,
            replicas=app.frontend_replicas,
            scheduling=args.scheduling,
            ingress_controller=args.ingress_controller,
        ),
        opts=opts,
    )
    return ChatApp(url, backend, frontend)
