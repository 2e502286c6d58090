"""Configuration comes from the environment; bad values stop the process and name the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from chat_backend.settings import ConfigError, Settings, load_settings
from chat_backend.store import redis_client
from conftest import CLUSTER, ORIGIN, Store
from devstack.backend_server import BackendServer
from redis.asyncio.connection import SSLConnection

GOOD = {"SESSION_SECRET": "s" * 40, "REDIS_URL": "redis://127.0.0.1:1/0"}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if (k not in Settings.model_fields and not k.isupper()) or k == "PATH"
    }
    return subprocess.run(
        [sys.executable, "-m", "chat_backend"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HISTORY_LIMIT": "-1"}, "HISTORY_LIMIT"),
        ({"HISTORY_LIMIT": "lots"}, "HISTORY_LIMIT"),
        ({"MAX_MESSAGE_LENGTH": "0"}, "MAX_MESSAGE_LENGTH"),
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL"),
        ({"REDIS_ACK_REPLICAS": "-1"}, "REDIS_ACK_REPLICAS"),
        ({"REDIS_ACK_TIMEOUT_MS": "0"}, "REDIS_ACK_TIMEOUT_MS"),
        ({"ALLOWED_ORIGINS": "chat.example.com"}, "ALLOWED_ORIGINS"),
        ({"COOKIE_SECURE": "maybe"}, "COOKIE_SECURE"),
        ({"PORT": "99999"}, "PORT"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
        ({"SESSION_SECRET": "short"}, "SESSION_SECRET"),
        ({"PRESENCE_TTL": "5", "PRESENCE_HEARTBEAT": "5"}, "PRESENCE_HEARTBEAT"),
    ],
)
def test_bad_value_stops_the_server_naming_the_variable(env: dict[str, str], named: str) -> None:
    result = _start({**GOOD, **env})
    assert result.returncode != 0
    assert named in result.stderr, result.stderr


def test_session_secret_is_required_outside_dev_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SESSION_SECRET", raising=False)
    monkeypatch.delenv("DEV_MODE", raising=False)
    with pytest.raises(ConfigError, match="SESSION_SECRET is required"):
        load_settings()
    monkeypatch.setenv("DEV_MODE", "true")
    assert load_settings().dev_mode


def test_origins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET", "s" * 40)
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://chat.example.com/, http://127.0.0.1:8080")
    assert load_settings().allowed_origins == ("https://chat.example.com", "http://127.0.0.1:8080")


def test_rediss_url_means_tls_with_auth() -> None:
    url = "rediss://:s3cr%2Ft@master.chat.abc123.use1.cache.amazonaws.com:6379/0"
    pool = redis_client.connection_pool(url)
    assert pool.connection_class is SSLConnection
    assert pool.connection_kwargs["password"] == "s3cr/t"
    assert pool.connection_kwargs["host"] == "master.chat.abc123.use1.cache.amazonaws.com"
    assert pool.connection_kwargs["port"] == 6379
    described = redis_client.describe(url)
    assert described == {
        "host": "master.chat.abc123.use1.cache.amazonaws.com",
        "port": 6379,
        "db": 0,
        "tls": True,
        "auth": True,
    }
    assert "s3cr" not in str(described)
    plain = redis_client.connection_pool("redis://:pw@redis.chat.svc:6379/0")
    assert plain.connection_class is not SSLConnection
    assert plain.connection_kwargs["password"] == "pw"


def test_a_stopped_server_leaves_no_metrics_files_behind(redis_server: Store, tmp_path: Path) -> None:
    """The workers share their metrics through files in a directory of the server's own, made
    at start; a server that stops removes it, so restarts do not pile them up."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    server = BackendServer(
        tmp_path / "backend",
        redis_url=redis_server.url,
        allowed_origins=ORIGIN,
        session_secret="s" * 40,
        extra_env={"TMPDIR": str(scratch), **({"REDIS_CLUSTER": "true"} if CLUSTER else {})},
    )
    server.start()
    try:
        assert [path.name[: len("chat-metrics-")] for path in scratch.iterdir()] == ["chat-metrics-"]
    finally:
        server.stop()
    assert list(scratch.iterdir()) == []
