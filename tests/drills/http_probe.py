"""Plain HTTP/1.1 connections whose local port we know, to see which backend worker serves them."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass

from devstack.backend_server import BackendServer

from tests.drills.workers import serving


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.body)
        return found


class Connection:
    """One keep-alive connection to the backend."""

    def __init__(self, port: int):
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.http.connect()
        assert self.http.sock is not None
        self.local_port = int(self.http.sock.getsockname()[1])

    def request(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> Reply:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        self.http.request(method, path, body=payload, headers=all_headers)
        response = self.http.getresponse()
        return Reply(response.status, response.headers, response.read())

    def close(self) -> None:
        self.http.close()


def connections_on_every_worker(
    backend: BackendServer, workers: int = 2, tries: int = 60
) -> list[Connection]:
    """Opens connections until every worker holds at least one; returns one per worker.

    Workers share one listening socket and the kernel hands connections to whichever is
    waiting, so spreading them takes a few tries (the extra connections are closed)."""
    opened: list[Connection] = []
    try:
        for _ in range(tries):
            connection = Connection(backend.port)
            connection.request("GET", "/api/healthz")  # accepted by now, so psutil can see it
            opened.append(connection)
            held = serving(backend, {c.local_port for c in opened})
            if sum(1 for ports in held.values() if ports) >= workers:
                chosen = [
                    next(c for c in opened if c.local_port in ports) for ports in held.values() if ports
                ]
                for connection in opened:
                    if connection not in chosen:
                        connection.close()
                return chosen
        raise AssertionError(f"connections never reached {workers} workers in {tries} tries")
    except BaseException:
        for connection in opened:
            connection.close()
        raise
