"""The one typed loader of the stack's configuration.

Every key is declared in Pulumi.yaml; this module turns the values into frozen dataclasses
and refuses a bad one with a message naming the key, before any resource is registered.
The app, Redis, PostgreSQL and kube-context keys are read for every stack; the aws section
(components/aws/config.py) only for the aws stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.aws.config import AwsConfig, load_aws
from components.config_reader import ConfigError, Reader

PLATFORMS = ("minikube", "aws")
APPENDFSYNC = ("always", "everysec")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_QUANTITY = re.compile(r"^[1-9][0-9]*(Mi|Gi|Ti)$")
# registry/name:tag or registry/name@sha256:digest; never a bare name (an implicit :latest).
_IMAGE = re.compile(
    r"^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?(:(?!latest$)[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class AppConfig:
    namespace: str
    host: str
    backend_replicas: int
    backend_workers: int
    frontend_replicas: int
    history_limit: int
    # Prebuilt image references to deploy as they are; None builds the image from services/.
    backend_image: str | None
    frontend_image: str | None


@dataclass(frozen=True)
class RedisConfig:
    storage_size: str
    storage_class: str
    appendfsync: str


@dataclass(frozen=True)
class PostgresConfig:
    storage_size: str
    storage_class: str


@dataclass(frozen=True)
class StackConfig:
    platform: str
    app: AppConfig
    redis: RedisConfig
    postgres: PostgresConfig
    kube_context: str
    aws: AwsConfig | None = None

    def aws_section(self) -> AwsConfig:
        """The aws section, which only the aws platform loads."""
        if self.aws is None:
            raise ConfigError("platform", f"must be aws for the aws stack, got {self.platform!r}")
        return self.aws


def _image(read: Reader, key: str) -> str | None:
    what = "an image reference with a tag or digest, like registry.example.com/chat-backend:1.4.2"
    return read.string(key, "", re.compile(f"|{_IMAGE.pattern}"), what) or None


def load(reader: Reader | None = None) -> StackConfig:
    read = reader or Reader()
    platform = read.choice("platform", "minikube", PLATFORMS)
    app = AppConfig(
        namespace=read.string("namespace", "chat", _DNS_LABEL, "a DNS label like chat"),
        host=read.string("host", "chat.local", _HOST, "a host name like chat.example.com"),
        backend_replicas=read.integer("backendReplicas", 2, 1, 50),
        backend_workers=read.integer("backendWorkers", 2, 1, 16),
        frontend_replicas=read.integer("frontendReplicas", 2, 1, 50),
        history_limit=read.integer("historyLimit", 1000, 1, 1_000_000),
        backend_image=_image(read, "backendImage"),
        frontend_image=_image(read, "frontendImage"),
    )
    redis = RedisConfig(
        storage_size=read.string("redisStorageSize", "1Gi", _QUANTITY, "a size like 1Gi (Mi, Gi or Ti)"),
        storage_class=read.string("redisStorageClass", "standard", _DNS_LABEL, "a StorageClass name"),
        appendfsync=read.choice("redisAppendfsync", "always", APPENDFSYNC),
    )
    postgres = PostgresConfig(
        storage_size=read.string("postgresStorageSize", "1Gi", _QUANTITY, "a size like 1Gi (Mi, Gi or Ti)"),
        storage_class=read.string("postgresStorageClass", "standard", _DNS_LABEL, "a StorageClass name"),
    )
    kube_context = read.string("kubeContext", "minikube")
    aws = load_aws(read) if platform == "aws" else None
    return StackConfig(platform, app, redis, postgres, kube_context, aws)
