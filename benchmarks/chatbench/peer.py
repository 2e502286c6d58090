"""The peer: Socket.IO on Node (benchmarks/socketio, installed by `npm ci` from its lockfile),
a node:cluster primary and 2 workers sharing one port on 127.0.0.1, with the Redis adapter on a
redis-server of its own."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from devstack.process import HOST, ManagedProcess, free_port, log_tail

PEER_DIR = Path(__file__).resolve().parents[1] / "socketio"
PACKAGES = ("socket.io", "@socket.io/redis-adapter", "redis")
READY = "workers listening"  # what server.js logs once every worker accepts connections


def node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        raise RuntimeError("node is missing: the Socket.IO peer needs Node 20")
    return found


def package_version(name: str) -> str:
    manifest = PEER_DIR / "node_modules" / name / "package.json"
    if not manifest.exists():
        raise RuntimeError(f"{name} is not installed: run `make bench` (it runs npm ci in {PEER_DIR})")
    return str(json.loads(manifest.read_text())["version"])


def describe() -> str:
    """What runs, e.g. `socket.io 4.8.4, @socket.io/redis-adapter 8.3.0, redis 5.12.1 on node v20.20.2`."""
    node = subprocess.run([node_binary(), "--version"], capture_output=True, text=True, check=True)
    packages = ", ".join(f"{name} {package_version(name)}" for name in PACKAGES)
    return f"{packages} on node {node.stdout.strip()}"


class SocketIOServer(ManagedProcess):
    def __init__(self, workdir: Path, redis_url: str, workers: int = 2):
        port = free_port()
        env = {"PORT": str(port), "REDIS_URL": redis_url, "WORKERS": str(workers), "NODE_ENV": "production"}
        super().__init__("socketio", [node_binary(), str(PEER_DIR / "server.js")], port, workdir, env)

    def start(self, timeout: float = 30.0) -> None:
        """Returns once every worker listens: the port opens with the first one."""
        super().start(timeout)
        deadline = time.monotonic() + timeout
        while READY not in self.log_path.read_text():
            if not self.running or time.monotonic() > deadline:
                raise RuntimeError(f"the Socket.IO workers did not start:\n{log_tail(self.log_path)}")
            time.sleep(0.05)

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/socket.io/?EIO=4&transport=websocket"


@contextlib.contextmanager
def socketio(workdir: Path, redis_url: str) -> Iterator[SocketIOServer]:
    server = SocketIOServer(workdir / "socketio", redis_url)
    try:
        server.start()  # inside: workers that never got ready are stopped too
        yield server
    finally:
        server.stop()
