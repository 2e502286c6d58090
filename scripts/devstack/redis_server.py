"""redis-server from the Debian package, on 127.0.0.1 with AOF on."""

from __future__ import annotations

import shutil
from pathlib import Path

from devstack.process import ManagedProcess, free_port


def redis_binary() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).exists():
        raise RuntimeError("redis-server is missing: run `make system-deps` (apt-get install redis-server)")
    return found


class RedisServer(ManagedProcess):
    """A redis-server whose data (AOF + RDB) lives in `datadir`, so a restart keeps it."""

    def __init__(
        self, datadir: Path, port: int | None = None, appendfsync: str = "always", password: str | None = None
    ):
        port = port or free_port()
        argv = [
            redis_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(datadir),
            "--appendonly",
            "yes",
            "--appendfsync",
            appendfsync,
            "--save",
            "",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
        ]
        if password:
            argv += ["--requirepass", password]
        super().__init__("redis", argv, port, datadir)
        self.password = password

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"
