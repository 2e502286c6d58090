"""Every Redis key and pub/sub channel the backend uses, in one place.

A room's keys all derive from its name (`chat:room:<room>:…`, a DM's too) and a user's from
theirs, so each can later be placed by its room or user on a Redis Cluster.
"""

from __future__ import annotations

ROOMS = "chat:rooms"
EVENTS_CHANNEL = "chat:events"  # presence and typing, fanned out between replicas
ROOMS_CHANNEL = "chat:events:rooms"  # `room` frames of new rooms, for every socket
ACTIVITY_CHANNEL = "chat:events:activity"  # each worker's newest seq per room, once a second
REPLICATION_PROBE = "chat:replication-probe"  # written only so WAIT can confirm a read


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
    return f"chat:room:{room}:messages"


def room_seq(room: str) -> str:
    """How many messages were ever posted in the room: the newest one's seq."""
    return f"chat:room:{room}:seq"


def read_positions(room: str) -> str:
    """user -> the seq they have read the room up to."""
    return f"chat:room:{room}:reads"


def mentions(room: str) -> str:
    """user -> the seq of the newest message in the room that mentions them."""
    return f"chat:room:{room}:mentions"


def changes(room: str) -> str:
    """message id -> its current edit or deletion, so history and replay fold them in."""
    return f"chat:room:{room}:changes"


def dm(room: str) -> str:
    """Exists once the DM was opened."""
    return f"chat:room:{room}:dm"


def dedup(room: str, user_name: str, client_id: str) -> str:
    return f"chat:dedup:{room}:{user_name}:{client_id}"


def send_rate(user_name: str) -> str:
    return f"chat:rate:send:{user_name}"


def login_failures_user(name: str) -> str:
    return f"chat:throttle:login:user:{name}"


def login_failures_ip(ip: str) -> str:
    return f"chat:throttle:login:ip:{ip}"


def presence(room: str) -> str:
    return f"chat:presence:{room}"
