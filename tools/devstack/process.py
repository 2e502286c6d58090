"""A child process that listens on a TCP port on 127.0.0.1 (HOST)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"  # every process the launcher starts listens here, and only here
MAX_PORT = 65535
LOG_TAIL = 4000  # characters of a child's log an error quotes


def open_files_up_to_hard_limit() -> None:
    """Children inherit the launcher's open-file limit: the soft one (often 1024) would hold a
    backend worker well below 10,000 WebSockets; the hard one is what the machine grants."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def is_free(port: int) -> bool:
    """Nothing listens on HOST:port. SO_REUSEADDR as the servers bind (nginx, redis-server): the
    connections of a stack stopped a moment ago, still in TIME_WAIT, do not hold the port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def log_tail(log: Path) -> str:
    return log.read_text()[-LOG_TAIL:]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Block until something accepts on HOST:port, or fail with the child's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}:\n{log_tail(log)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {HOST}:{port} after {timeout}s:\n{log_tail(log)}")


class ManagedProcess:
    """Starts a command in its own process group and stops the whole group."""

    def __init__(
        self, name: str, argv: list[str], port: int, workdir: Path, env: dict[str, str] | None = None
    ):
        self.name = name
        self.argv = argv
        self.port = port
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        open_files_up_to_hard_limit()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.workdir,
                env={**os.environ, **(self.env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, self.proc, timeout, self.log_path)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the whole process group (e.g. SIGKILL for a crash drill)."""
        if self.running:
            assert self.proc is not None
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if the group has not exited within the timeout."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait()
        # Reap stragglers left in the group (e.g. worker processes).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
