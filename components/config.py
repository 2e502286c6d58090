"""The one typed loader of the stack's configuration.

Every key is declared in Pulumi.yaml; this module turns the values into frozen dataclasses
and refuses a bad one with a message naming the key, before any resource is registered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

if TYPE_CHECKING:  # the aws section is only imported for the aws stack (pulumi_aws is slow to load)
    from components.aws.config import AwsConfig

PROJECT = "chat-platform"
PLATFORMS = ("minikube", "aws")
APPENDFSYNC = ("always", "everysec")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_QUANTITY = re.compile(r"^[1-9][0-9]*(Mi|Gi|Ti)$")
# registry/name:tag or registry/name@sha256:digest; never a bare name (an implicit :latest).
_IMAGE = re.compile(
    r"^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?(:(?!latest$)[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"
)


class ConfigError(ValueError):
    """A configuration value is wrong; the message starts with the full key."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{PROJECT}:{key} {problem}")
        self.key = f"{PROJECT}:{key}"


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
class StackConfig:
    platform: str
    app: AppConfig
    redis: RedisConfig
    kube_context: str
    aws: AwsConfig | None = None


class Reader:
    """Typed access to `chat-platform:*` keys with the Pulumi.yaml defaults."""

    def __init__(self, config: pulumi.Config | None = None):
        self.config = config or pulumi.Config(PROJECT)

    def raw(self, key: str) -> str | None:
        return self.config.get(key)

    def string(self, key: str, default: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        value = self.raw(key)
        value = default if value is None else value.strip()
        if pattern is not None and not pattern.fullmatch(value):
            raise ConfigError(key, f"must be {what}, got {value!r}")
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(key, default)
        if value not in choices:
            raise ConfigError(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw(key)
        if value is None:
            return default
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigError(key, f"must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(key, f"must be between {low} and {high}, got {number}")
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        lowered = str(value).strip().lower()
        if lowered not in ("true", "false"):
            raise ConfigError(key, f"must be true or false, got {value!r}")
        return lowered == "true"

    def string_list(self, key: str, default: list[str]) -> list[str]:
        value: Any = self.config.get_object(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, f"must be a list of strings, got {value!r}")
        return list(value)


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
    kube_context = read.string("kubeContext", "minikube")
    aws = None
    if platform == "aws":
        from components.aws.config import load_aws

        aws = load_aws(read)
    return StackConfig(platform, app, redis, kube_context, aws)
