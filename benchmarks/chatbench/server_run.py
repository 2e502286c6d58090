"""What one system under test measured: the backend on one ASGI server, or the Socket.IO peer.
Read by the comparison (compare.py) and the report (report.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatbench.fanout import FanoutResult
from chatbench.idle import IdleResult
from chatbench.procstats import WorkerMemory


@dataclass
class ServerRun:
    name: str  # the backend's ASGI server (uvicorn) or the peer (socketio)
    server: str  # what answered: the backend's HTTP `server` header; the peer's packages and Node
    fanout: FanoutResult | None = None
    idle: IdleResult | None = None
    workers: list[WorkerMemory] = field(default_factory=list)
    skipped: str | None = None  # why this server was not measured
