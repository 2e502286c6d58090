"""`python -m devstack` (what `make dev` runs): the whole chat on http://127.0.0.1:${PORT:-8080};
with `--cluster` (`make dev-cluster`) on a 6-node Redis Cluster instead of one redis-server.

Runs in the foreground with its data under .dev/ (`--data` for another place); Ctrl-C or SIGTERM
stops every child.
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
    parser.add_argument("--data", type=Path, default=DATADIR, help=f"data and logs (default {DATADIR})")
    args = parser.parse_args()
    cluster, datadir = args.cluster, args.data.resolve()
    port = port_from_env()
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    secret = session_secret(datadir / "session_secret")
    stack = DevStack(datadir, port=port, session_secret=secret, redis_cluster=cluster)
    print(f"starting {stack.describe()}; data and logs in {datadir}", flush=True)
    with stack:
        print(f"chat is running on {stack.url}  (Ctrl-C stops it)", flush=True)
        while not stopping.wait(1.0):
            dead = [name for name, process in stack.processes.items() if not process.running]
            if dead:
                print(f"{', '.join(dead)} exited; logs in {datadir}. Stopping.", file=sys.stderr, flush=True)
                return 1
        print("stopping…", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
