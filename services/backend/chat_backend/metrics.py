"""Prometheus metrics. With several workers, `python -m chat_backend` sets
PROMETHEUS_MULTIPROC_DIR so /api/metrics sums every worker, not just the one that answers."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

CONNECTIONS = Gauge("chat_websocket_connections", "Open WebSocket connections", multiprocess_mode="livesum")
MESSAGES_IN = Counter("chat_messages_received", "Chat messages accepted from clients and stored")
MESSAGES_OUT = Counter("chat_messages_delivered", "Chat messages handed to local sockets (live and replayed)")
SEND_LATENCY = Histogram(
    "chat_send_latency_seconds",
    "Time from receiving a message frame to sending its ack (includes the durable Redis write)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
REJECTED = Counter("chat_rejected_inputs", "Inputs refused with an error", ["kind", "code"])
SLOW_CONSUMERS = Counter(
    "chat_slow_consumer_disconnects", "Sockets closed because their send queue overflowed"
)

ARCHIVE_LAG = Gauge(
    "chat_archive_lag_seconds",
    "Age of the oldest stream entry PostgreSQL does not hold yet (0: all archived)",
    multiprocess_mode="livemax",
)
ARCHIVED = Counter("chat_archived_entries", "Stream entries written to PostgreSQL (messages, edits, deletes)")
ARCHIVE_FAILURES = Counter(
    "chat_archive_failures", "Archive passes that failed (PostgreSQL away, most often)"
)

# Read from Redis (INFO memory) at each scrape: alert well before used reaches max, where
# Redis refuses every write (docs/security.md).
REDIS_MEMORY_USED = Gauge(
    "chat_redis_memory_used_bytes",
    "Memory Redis uses (summed over a cluster's nodes)",
    multiprocess_mode="mostrecent",
)
REDIS_MEMORY_MAX = Gauge(
    "chat_redis_memory_max_bytes",
    "Redis's maxmemory, past which it refuses writes (summed over a cluster's nodes)",
    multiprocess_mode="mostrecent",
)


def record_redis_memory(info: dict[str, Any]) -> None:
    """From INFO memory: one node's, or a cluster's as {node: its INFO}."""
    nodes = [value for value in info.values() if isinstance(value, dict)] or [info]
    REDIS_MEMORY_USED.set(sum(int(node.get("used_memory", 0)) for node in nodes))
    REDIS_MEMORY_MAX.set(sum(int(node.get("maxmemory", 0)) for node in nodes))


def render() -> tuple[bytes, str]:
    """The exposition text for every worker (multiprocess) or this process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
