"""`make dev`'s entry point, `python -m devstack`, as a newcomer runs it: it serves the app and
the API on PORT, SIGTERM stops it with every process it started, and it starts again on the same
port at once; a port someone else listens on is refused with a clear message."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from chatkit import PASSWORD
from checkout import ROOT
from devstack.process import HOST, free_port

READY = "chat is running on"


@contextmanager
def make_dev(datadir: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    """`python -m devstack` on `port` with its data in `datadir`, until its READY line; killed
    (its whole tree) if the test ends before it stopped."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--data", str(datadir)],
        cwd=ROOT,
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        output = []
        while not any(READY in line for line in output):  # pytest-timeout bounds the wait
            line = proc.stdout.readline()
            assert line, f"exited before its {READY!r} line:\n{''.join(output)}"
            output.append(line)
        yield proc
    finally:
        if proc.poll() is None:
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()
        proc.wait()


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own http URL)
        return response.status, response.headers["Content-Type"], response.read()


def post_account(base: str, path: str) -> int:
    """The newcomer's name and password to `path` (register, login), as the app posts them."""
    request = urllib.request.Request(  # noqa: S310 (our own http URL)
        f"{base}{path}",
        data=json.dumps({"username": "newcomer", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "Origin": base},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return int(response.status)


def stop(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    """SIGTERM, as a service manager or `kill` sends it; returns what was running under it."""
    tree = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    return tree


def test_make_dev_serves_stops_on_sigterm_and_starts_again_on_the_same_port(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://{HOST}:{port}"
    with make_dev(tmp_path / "dev", port) as first:
        status, content_type, body = get(f"{base}/")
        assert status == 200
        assert content_type.startswith("text/html")
        assert b'<div id="root">' in body
        assert get(f"{base}/api/healthz")[0] == 200
        assert post_account(base, "/api/register") == 201
        # A browser's keep-alive connection, open when it stops: nginx closes it, so the port is
        # left in TIME_WAIT, which must not keep the next start from it.
        idle = http.client.HTTPConnection(HOST, port, timeout=10)
        idle.request("GET", "/api/healthz")
        idle.getresponse().read()
        started = stop(first)
        idle.close()
    assert started, "the launcher started no processes"
    assert not [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], "left running"

    with make_dev(tmp_path / "dev", port) as second:
        # The same data: the account registered before is still there.
        assert post_account(base, "/api/login") == 200
        stop(second)


def test_a_port_in_use_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "devstack", "--data", str(tmp_path / "dev")],
            cwd=ROOT,
            env={**os.environ, "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert f"{HOST}:{port} is already in use" in done.stderr
    assert "PORT=<free port>" in done.stderr
    assert not (tmp_path / "dev").exists(), "nothing started, nothing written"
