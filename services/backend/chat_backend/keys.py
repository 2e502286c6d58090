"""Every Redis key and pub/sub channel the backend uses, in one place.

A room's keys all derive from its name (`chat:room:<room>:…`, a DM's too) and a user's from
theirs. On a Redis Cluster (REDIS_CLUSTER) the room's part carries a hash tag, `{room}`, so all
of a room's keys and its channel live on one shard and rooms spread over the shards; a user's
keys hash by themselves. On one node the names stay what they have always been.
"""

from __future__ import annotations

ROOMS = "chat:rooms"
EVENTS_CHANNEL = "chat:events"  # presence and typing, fanned out between replicas
ROOMS_CHANNEL = "chat:events:rooms"  # `room` frames of new rooms, for every socket
ACTIVITY_CHANNEL = "chat:events:activity"  # each worker's newest seq per room, once a second
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


def user_dms(name: str) -> str:
    """The DMs the user is one of the two members of (a set of DM names)."""
    return f"chat:user:{name}:dms"


USER_CHANNEL_PREFIX = "chat:events:user:"


def user_channel(name: str) -> str:
    """Frames for one user's sockets, wherever they are: read, mention, a new DM's room."""
    return USER_CHANNEL_PREFIX + name


def session(token: str) -> str:
    return f"chat:session:{token}"


def stream(room: str) -> str:
    return f"chat:room:{_room(room)}:messages"


def room_seq(room: str) -> str:
    """How many messages were ever posted in the room: the newest one's seq."""
    return f"chat:room:{_room(room)}:seq"


def read_positions(room: str) -> str:
    """user -> the seq they have read the room up to."""
    return f"chat:room:{_room(room)}:reads"


def mentions(room: str) -> str:
    """user -> the seq of the newest message in the room that mentions them."""
    return f"chat:room:{_room(room)}:mentions"


def changes(room: str) -> str:
    """message id -> its current edit or deletion, so history and replay fold them in."""
    return f"chat:room:{_room(room)}:changes"


def dm(room: str) -> str:
    """Exists once the DM was opened."""
    return f"chat:room:{_room(room)}:dm"


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
