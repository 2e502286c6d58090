"""The laptop platform: the chat (components/chat_app.py) in minikube, images built into its
Docker daemon, Redis and PostgreSQL in-cluster with a volume each, NGINX ingress from minikube's
addon."""

from __future__ import annotations

import os

import pulumi
import pulumi_docker as docker
import pulumi_kubernetes as k8s

from components.chat_app import ChatAppArgs, chat_app
from components.config import StackConfig
from components.k8s.local_image import SERVICES, LocalImage, LocalImageArgs
from components.k8s.namespace import chat_namespace
from components.k8s.nginx_ingress import CONTROLLER as NGINX
from components.k8s.nginx_ingress import NginxIngress, NginxIngressArgs
from components.k8s.postgres import Postgres, PostgresArgs
from components.k8s.redis import Redis, RedisArgs


def local_images(backend: str | None, frontend: str | None) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
    """The prebuilt references given in config, else images built into minikube's Docker daemon."""
    if backend and frontend:
        return backend, frontend  # nothing to build: no Docker provider, no Docker needed
    # `make up` points DOCKER_HOST / DOCKER_CERT_PATH at minikube's daemon (`minikube docker-env`);
    # an explicit provider hands both to the build, so the images land where the pods look.
    minikube_docker = docker.Provider(
        "minikube-docker", host=os.environ.get("DOCKER_HOST"), cert_path=os.environ.get("DOCKER_CERT_PATH")
    )
    in_minikube_docker = pulumi.ResourceOptions(providers=[minikube_docker])

    def built(name: str, given: str | None) -> pulumi.Input[str]:
        if given:
            return given
        return LocalImage(name, LocalImageArgs(f"chat-{name}", SERVICES / name), in_minikube_docker).image_ref

    return built("backend", backend), built("frontend", frontend)


def build(config: StackConfig) -> None:
    app = config.app
    provider = k8s.Provider("minikube", context=config.kube_context)
    in_cluster = pulumi.ResourceOptions(provider=provider)
    namespace = chat_namespace(app.namespace, in_cluster).metadata.name

    backend_image, frontend_image = local_images(app.backend_image, app.frontend_image)
    redis = Redis(
        "redis",
        RedisArgs(
            namespace=namespace,
            storage_size=config.redis.storage_size,
            storage_class=config.redis.storage_class,
            appendfsync=config.redis.appendfsync,
        ),
        opts=in_cluster,
    )
    postgres = Postgres(
        "postgres",
        PostgresArgs(
            namespace=namespace,
            storage_size=config.postgres.storage_size,
            storage_class=config.postgres.storage_class,
        ),
        opts=in_cluster,
    )
    chat = chat_app(
        ChatAppArgs(
            app=app,
            namespace=namespace,
            redis=redis,
            database=postgres,
            backend_image=backend_image,
            frontend_image=frontend_image,
            ingress_controller=NGINX,
            tls=False,  # plain HTTP on a laptop
        ),
        in_cluster,
    )
    redis.admit(chat.backend.pod_labels)
    postgres.admit(chat.backend.pod_labels)
    NginxIngress(
        "chat",
        NginxIngressArgs(namespace, app.host, chat.backend.service_name, chat.frontend.service_name),
        opts=in_cluster,
    )
    pulumi.export("url", chat.url)
    pulumi.export("namespace", namespace)
    pulumi.export("hostsLine", f"$(minikube ip) {app.host}")
