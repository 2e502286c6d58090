"""Configuration, from environment variables only.

A bad value stops the process at start with a message that names the variable.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from chat_backend.names import DM_MAX_MEMBERS


class ConfigError(SystemExit):
    """Raised (and printed) when the environment holds a bad configuration."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_cluster: bool = Field(
        default=False, description="REDIS_URL names one node of a Redis Cluster; rooms spread over its shards"
    )
    # Replicas that must hold a message (WAIT) before it is acked or shown; 0: the primary alone.
    redis_ack_replicas: int = Field(default=0, ge=0)
    redis_ack_timeout_ms: int = Field(default=1000, ge=1, le=60_000)
    session_secret: SecretStr | None = None
    dev_mode: bool = False
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    cookie_secure: bool = False
    session_max_age: int = Field(
        default=7 * 24 * 3600, gt=0, description="seconds a session lives; its sockets close when it ends"
    )
    max_sessions_per_user: int = Field(
        default=50, ge=1, description="sessions one user holds at once; a new one ends the oldest"
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="the bearer token that reads /api/metrics (`Authorization: Bearer ...`); unset: nobody",
    )
    history_limit: int = Field(default=1000, ge=1, le=1_000_000)
    history_page_max: int = Field(default=200, ge=1, description="largest `limit` one history request gets")
    max_message_length: int = Field(default=4000, ge=1, le=60_000, description="characters per message")
    max_frame_bytes: int = Field(
        default=64 * 1024, ge=1024, description="largest WebSocket frame; bigger closes the socket with 1009"
    )
    max_body_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="largest HTTP body (nginx and the ingress refuse bigger too): 413",
    )
    send_rate_limit: int = Field(default=30, ge=1, description="messages per user per window")
    send_rate_window: float = Field(default=10.0, gt=0)
    login_max_failures_per_user_ip: int = Field(
        default=5, ge=1, description="login attempts per username from one address per window"
    )
    login_max_failures_per_ip: int = Field(
        default=20, ge=1, description="login attempts per address per window"
    )
    login_max_failures_per_user: int = Field(
        default=100,
        ge=1,
        description="login attempts per username from all addresses per window "
        "(high, so strangers cannot lock anyone out)",
    )
    login_throttle_window: int = Field(default=300, ge=1, description="seconds")
    registrations_per_ip: int = Field(
        default=20, ge=1, description="accounts registered per address per hour"
    )
    trusted_proxy_hops: int = Field(
        default=1,
        ge=0,
        le=8,
        description="proxies in front that append to X-Forwarded-For; the client's address is the entry "
        "this far from the right (0: the peer's address, the header ignored)",
    )
    password_hash_memory_mib: int = Field(
        default=64,
        ge=19,
        description="memory password hashes may hold at once per worker (19 MiB each); the rest wait",
    )
    password_hash_queue: int = Field(
        default=32,
        ge=1,
        description="logins and registrations waiting for a hash per worker; more: 503 server_busy",
    )
    fanout_coalesce_ms: int = Field(
        default=40,
        ge=0,
        le=1000,
        description="how long a busy room's new messages gather before fan-out (a quiet room's go at once)",
    )
    send_buffer_bytes: int = Field(
        default=256 * 1024, ge=1024, description="bytes buffered per socket before it is dropped as too slow"
    )
    presence_ttl: float = Field(default=30.0, gt=0)
    presence_heartbeat: float = Field(default=10.0, gt=0)
    max_rooms: int = Field(default=1000, ge=1, description="public and private rooms in all")
    max_rooms_per_user: int = Field(
        default=20, ge=1, description="rooms, public or private, one user may create"
    )
    max_dms_per_user: int = Field(default=200, ge=1, description="DMs one user may open")
    max_sockets_per_user: int = Field(
        default=20, ge=1, description="open WebSockets of one user, on every worker"
    )
    max_subscriptions_per_socket: int = Field(
        default=100, ge=1, description="rooms one WebSocket is subscribed to"
    )
    max_dm_members: int = Field(
        default=DM_MAX_MEMBERS, ge=2, le=DM_MAX_MEMBERS, description="members of a group DM (2: no group DMs)"
    )
    max_reactions_per_message: int = Field(
        default=20, ge=1, le=200, description="distinct emoji on one message"
    )
    max_room_members: int = Field(default=5000, ge=2, description="members of one room (joins and invites)")
    max_topic_length: int = Field(default=250, ge=1, le=4000)
    people_page_max: int = Field(default=200, ge=1, description="members or people listed per page at most")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL, the store that keeps every message, e.g. "
        "postgresql://chat@postgres:5432/chat?sslmode=verify-full; unset: Redis alone keeps the newest "
        "HISTORY_LIMIT entries of each room (docs/storage.md)",
    )
    database_password: SecretStr | None = Field(default=None, description="used with DATABASE_URL when set")
    database_pool_size: int = Field(default=5, ge=1, le=100, description="connections per worker process")
    database_timeout: float = Field(
        default=2.0, gt=0, le=60, description="seconds a query waits for a connection or an answer"
    )
    archive_batch: int = Field(default=500, ge=1, le=10_000, description="entries archived per transaction")
    archive_interval: float = Field(default=0.2, gt=0, le=60, description="seconds between archive passes")
    retention_days: int | None = Field(
        default=None, ge=1, description="messages older than this are deleted from both stores; unset: kept"
    )
    log_level: str = "INFO"

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_origins")
    @classmethod
    def origins_are_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not origin.startswith(("http://", "https://")):
                raise ValueError(f"{origin!r} is not an origin like https://chat.example.com")
        return value

    @field_validator("redis_url")
    @classmethod
    def redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def empty_is_unset(cls, value: object) -> object:
        return value or None

    @field_validator("database_url")
    @classmethod
    def postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return value

    @field_validator("log_level")
    @classmethod
    def known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @model_validator(mode="after")
    def secret_outside_dev(self) -> Settings:
        if self.session_secret is None and not self.dev_mode:
            raise ValueError("SESSION_SECRET is required (set DEV_MODE=true only for local development)")
        if self.session_secret is not None and len(self.session_secret.get_secret_value()) < 32:
            raise ValueError("SESSION_SECRET must be at least 32 characters")
        if self.retention_days is not None and self.database_url is None:
            raise ValueError("RETENTION_DAYS needs DATABASE_URL: the archiver applies it")
        if self.presence_heartbeat >= self.presence_ttl:
            # Otherwise entries expire between heartbeats and present users flicker away.
            raise ValueError("PRESENCE_HEARTBEAT must be shorter than PRESENCE_TTL")
        return self

    @cached_property
    def signing_key(self) -> str:
        if self.session_secret is not None:
            return self.session_secret.get_secret_value()
        # DEV_MODE only: a per-process random key; sessions do not survive restarts.
        import secrets

        return secrets.token_urlsafe(32)


def load_settings() -> Settings:
    """Settings from the environment, or a ConfigError naming every bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "configuration"
            lines.append(f"  {name}: {err['msg']}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
