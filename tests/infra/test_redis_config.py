"""One source of Redis settings: services/redis/redis.conf, which the in-cluster Redis's
ConfigMap (components/k8s/redis.py) and the local launcher (tools/devstack/redis_server.py,
for `make dev`, the tests, the drills and the benchmark) both consume; each adds only its own
address, data directory, fsync policy, memory ceiling and AUTH."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from devstack.redis_server import DEV_MAXMEMORY, SHARED_CONF, RedisServer

from components.k8s import redis as k8s_redis
from components.k8s.redis import redis_conf
from tests.infra.redis_settings import directives, reported, shared_settings

OWN = {"bind", "port", "dir", "appendfsync", "maxmemory", "requirepass", "replicaof", "include"}


def test_both_read_the_same_file() -> None:
    assert k8s_redis.SHARED_CONF == SHARED_CONF
    assert SHARED_CONF.is_file()


def test_the_shared_file_holds_durability_and_eviction_and_nothing_of_one_deployment() -> None:
    settings = shared_settings()
    assert settings["appendonly"] == "yes"
    assert settings["save"] == ""  # the AOF is the only persistence
    assert settings["maxmemory-policy"] == "noeviction"
    assert not OWN & set(settings)
    names = [name for name, _ in directives(SHARED_CONF.read_text())]
    assert len(names) == len(set(names)), "a setting given twice"


def test_the_pod_config_is_the_shared_file_plus_its_own_address_data_fsync_and_auth() -> None:
    conf = redis_conf("everysec")
    assert SHARED_CONF.read_text() in conf
    names = [name for name, _ in directives(conf)]
    assert len(names) == len(set(names)), "the pod's own lines must not override the shared ones"
    assert set(names) - set(shared_settings()) == {
        "bind",
        "port",
        "dir",
        "appendfsync",
        "maxmemory",
        "include",
    }


@pytest.mark.parametrize("limit", ["512Mi", "2Gi"])
def test_maxmemory_is_a_share_of_the_containers_limit(limit: str) -> None:
    resources = replace(k8s_redis.DEFAULT_RESOURCES, memory_limit=limit)
    settings = dict(directives(redis_conf("always", resources)))
    ceiling_mib = int(settings["maxmemory"].removesuffix("mb"))
    assert ceiling_mib == int(resources.memory_limit_mib * k8s_redis.MAXMEMORY_SHARE)
    assert 0.6 * resources.memory_limit_mib <= ceiling_mib <= 0.75 * resources.memory_limit_mib


def _options(argv: list[str]) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    current: list[str] = []
    for token in argv:
        if token.startswith("--"):
            current = options.setdefault(token.removeprefix("--"), [])
        else:
            current.append(token)
    return options


def test_the_launcher_passes_the_shared_file_and_only_its_own_options(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, port=7001, appendfsync="everysec", password="pw", replica_of=7000)
    assert server.argv[1] == str(SHARED_CONF)
    assert _options(server.argv[2:]) == {
        "bind": ["127.0.0.1"],
        "port": ["7001"],
        "dir": [str(tmp_path)],
        "appendfsync": ["everysec"],
        "maxmemory": [DEV_MAXMEMORY],
        "requirepass": ["pw"],
        "masterauth": ["pw"],
        "replicaof": ["127.0.0.1", "7000"],
    }


def test_the_launcher_s_redis_runs_with_every_shared_setting(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, password="local-password")
    server.start()
    try:
        shared = shared_settings()
        running = reported(server.port, server.password, [*shared, "appendfsync"])
        assert running == {**shared, "appendfsync": "always"}
        assert running["maxmemory-policy"] == "noeviction"
    finally:
        server.stop()
