"""Every Redis key the backend uses, in one place.

On a Redis Cluster (REDIS_CLUSTER) the keys of a room carry its hash tag, `{room}`, so the room's
stream, its send script's keys and its channel live on one shard, and rooms spread over the
shards. On one node the names stay what they have always been.
"""

from __future__ import annotations

ROOMS = "chat:rooms"
EVENTS_CHANNEL = "chat:events"  # presence and typing, fanned out between replicas (one node)
REPLICATION_PROBE = "chat:replication-probe"  # written only so WAIT can confirm a read

_hash_tags = False


def use_hash_tags(on: bool = True) -> None:
    """Cluster mode (or not) for the whole process: set at start, before any key is built."""
    global _hash_tags
    _hash_tags = on


def _room(room: str) -> str:
    return f"{{{room}}}" if _hash_tags else room


def user(name: str) -> str:
    return f"chat:user:{name}"


def session(token: str) -> str:
    return f"chat:session:{token}"


def stream(room: str) -> str:
    return f"chat:room:{_room(room)}:messages"


def dedup(room: str, user_name: str, client_id: str) -> str:
    return f"chat:dedup:{_room(room)}:{user_name}:{client_id}"


def send_rate(user_name: str, room: str) -> str:
    """The send script's rate window. On a cluster it must share the room's shard, so the window
    counts a user's sends per room there; on one node, across all rooms."""
    if _hash_tags:
        return f"chat:rate:send:{_room(room)}:{user_name}"
    return f"chat:rate:send:{user_name}"


def room_probe(room: str) -> str:
    """Written only so WAIT can confirm a read of the room, on the room's shard."""
    return f"{REPLICATION_PROBE}:{_room(room)}" if _hash_tags else REPLICATION_PROBE


def room_channel(room: str) -> str:
    """Cluster only: the room's sharded pub/sub channel (new entries, presence, typing)."""
    return f"chat:room:{_room(room)}:events"


def login_failures_user(name: str) -> str:
    return f"chat:throttle:login:user:{name}"


def login_failures_ip(ip: str) -> str:
    return f"chat:throttle:login:ip:{ip}"


def presence(room: str) -> str:
    return f"chat:presence:{_room(room)}"
