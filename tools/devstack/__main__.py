"""`python -m devstack` (what `make dev` runs): the whole chat on http://127.0.0.1:${PORT:-8080};
with `--cluster` (`make dev-cluster`) on a 6-node Redis Cluster instead of one redis-server.

Runs in the foreground with its data under .dev/; Ctrl-C or SIGTERM stops every child.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from checkout import ROOT

from devstack.process import HOST, MAX_PORT, is_free
from devstack.stack import DevStack

DATADIR = ROOT / ".dev"


def port_from_env() -> int:
    raw = os.environ.get("PORT", "8080")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PORT:
        raise SystemExit(f"PORT must be a TCP port number (1-{MAX_PORT}), got {raw!r}")
    port = int(raw)
    if not is_free(port):
        raise SystemExit(f"{HOST}:{port} is already in use: stop what uses it or set PORT=<free port>")
    return port


def session_secret(path: Path) -> str:
    """Generated once and kept (owner-only) under .dev/, so a restart keeps people logged in."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=f"the whole chat on {HOST}")
    parser.add_argument("--cluster", action="store_true", help="on a 6-node Redis Cluster")
    cluster = parser.parse_args().cluster
    port = port_from_env()
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    redis = "a Redis Cluster (3 masters, 3 replicas)" if cluster else "redis-server"
    print(f"starting {redis}, the backend (2 workers) and nginx; data and logs in {DATADIR}", flush=True)
    secret = session_secret(DATADIR / "session_secret")
    with DevStack(DATADIR, port=port, session_secret=secret, redis_cluster=cluster) as stack:
        print(f"chat is running on {stack.url}  (Ctrl-C stops it)", flush=True)
        while not stopping.wait(1.0):
            dead = [name for name, process in stack.processes.items() if not process.running]
            if dead:
                print(f"{', '.join(dead)} exited; logs in {DATADIR}. Stopping.", file=sys.stderr, flush=True)
                return 1
        print("stopping…", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
