"""The shared Redis settings (services/redis/redis.conf) as a running server reports them."""

from __future__ import annotations

import redis
from devstack.redis_server import SHARED_CONF


def directives(conf: str) -> list[tuple[str, str]]:
    """(name, value) of each directive, in order; quotes dropped, as CONFIG GET shows values."""
    found = []
    for line in conf.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            found.append((name, value.strip().strip('"')))
    return found


def shared_settings() -> dict[str, str]:
    return dict(directives(SHARED_CONF.read_text()))


def reported(port: int, password: str | None, names: list[str]) -> dict[str, str]:
    """What the server on 127.0.0.1:`port` runs with (CONFIG GET) for each of `names`."""
    with redis.Redis(port=port, password=password, decode_responses=True) as client:
        return {name: str(client.config_get(name)[name]) for name in names}
