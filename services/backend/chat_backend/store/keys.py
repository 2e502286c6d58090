"""Every Redis key and pub/sub channel the backend uses, in one place.

A room's keys all derive from its name (`chat:room:<room>:…`, a DM's too) and a user's from
theirs. On a Redis Cluster (REDIS_CLUSTER) the room's part carries a hash tag, `{room}`, so all
of a room's keys and its channel live on one shard and rooms spread over the shards; a user's
keys hash by themselves. On one node the names stay what they have always been. Which of the
two layouts is in force is a `Keys` object, chosen once where the Redis client is opened
(`ONE_NODE` or `CLUSTER`) and handed to everything that names a key.
"""

from __future__ import annotations


class Keys:
    """The key layout: plain names on one node, hash-tagged room names on a cluster."""

    __slots__ = ("hash_tags",)

    ROOMS = "chat:rooms"  # the public rooms
    # Hash-tagged by ROOMS' own name: one slot with it, so one script creates any room.
    PRIVATE_ROOMS = "{chat:rooms}:private"
    ROOM_NAMES = "{chat:rooms}:folded"  # casefolded name -> the room's name, public or private
    USERNAMES = "chat:usernames"  # casefolded username -> the user's name
    PEOPLE = "chat:people"  # the directory: people.py
    DISPLAY_NAMES = "{chat:people}:display-names"  # username -> display name; PEOPLE's slot
    USERNAMES_INDEXED = "chat:usernames:indexed"  # set once users from before were indexed
    REMOVALS_CHANNEL = "chat:events:removals"  # a user lost a private room: their sockets leave it
    ROOMS_CHANNEL = "chat:events:rooms"  # `room` frames of new rooms, for every socket
    SESSIONS_CHANNEL = "chat:events:sessions"  # ended sessions, whose sockets every worker closes
    ACTIVITY_CHANNEL = "chat:events:activity"  # each worker's newest seq per room, once a second
    PROCESSES = "chat:processes"  # backend process -> when its entry expires (processes.py)
    REPLICATION_PROBE = "chat:replication-probe"  # written only so WAIT can confirm a read
    USER_CHANNEL_PREFIX = "chat:events:user:"
    DMS = "chat:dms"  # every DM's name, so the archiver finds them
    ARCHIVER_LEASE = "chat:archiver:lease"  # the one process archiving to PostgreSQL holds it

    def __init__(self, hash_tags: bool):
        self.hash_tags = hash_tags

    def _room(self, room: str) -> str:
        return f"{{{room}}}" if self.hash_tags else room

    def user(self, name: str) -> str:
        return f"chat:user:{name}"

    def user_dms(self, name: str) -> str:
        """The DMs the user is one of the two members of (a set of DM names)."""
        return f"chat:user:{name}:dms"

    def user_rooms(self, name: str) -> str:
        """The rooms the user joined or was added to, public and private (a set)."""
        return f"chat:user:{name}:rooms"

    def user_created_rooms(self, name: str) -> str:
        """The rooms, public or private, the user created. Hash-tagged as ROOMS is named, so
        on a cluster one script checks them all."""
        return f"chat:rooms:{{{self.ROOMS}}}:created-by:{name}"

    def user_sockets(self, name: str) -> str:
        """Leases of the user's open WebSockets, scored by when each lapses (socket_leases.py)."""
        return f"chat:user:{name}:sockets"

    def user_opened_dms(self, name: str) -> str:
        """The DMs the user opened (MAX_DMS_PER_USER counts them)."""
        return f"chat:user:{name}:opened-dms"

    def user_channel(self, name: str) -> str:
        """Frames for one user's sockets, wherever they are: read, mention, a new DM's room."""
        return self.USER_CHANNEL_PREFIX + name

    def session(self, token: str) -> str:
        return f"chat:session:{token}"

    def user_sessions(self, name: str) -> str:
        """The user's session tokens, scored by when each expires."""
        return f"chat:user:{name}:sessions"

    def stream(self, room: str) -> str:
        return f"chat:room:{self._room(room)}:messages"

    def room_seq(self, room: str) -> str:
        """How many messages were ever posted in the room: the newest one's seq."""
        return f"chat:room:{self._room(room)}:seq"

    def read_positions(self, room: str) -> str:
        """user -> the seq they have read the room up to."""
        return f"chat:room:{self._room(room)}:reads"

    def mentions(self, room: str) -> str:
        """user -> the seq of the newest message in the room that mentions them."""
        return f"chat:room:{self._room(room)}:mentions"

    def changes(self, room: str) -> str:
        """message id -> its current edit or deletion, so history and replay fold them in."""
        return f"chat:room:{self._room(room)}:changes"

    def archived(self, room: str) -> str:
        """The newest entry id of the room PostgreSQL holds (the archiver's position)."""
        return f"chat:room:{self._room(room)}:archived"

    def trimmed(self, room: str) -> str:
        """Set once the archiver trimmed the stream: the least id its first entry then may
        have; older history is PostgreSQL's."""
        return f"chat:room:{self._room(room)}:trimmed"

    def reactions(self, room: str) -> str:
        """message id -> its reactions, {emoji: [user, …]} as JSON (reactions.py)."""
        return f"chat:room:{self._room(room)}:reactions"

    def threads(self, room: str) -> str:
        """message id -> its thread: reply count, last repliers, everyone in it (threads.py)."""
        return f"chat:room:{self._room(room)}:threads"

    def dm(self, room: str) -> str:
        """Exists once the DM was opened."""
        return f"chat:room:{self._room(room)}:dm"

    def members(self, room: str) -> str:
        """Who joined the room or was added to it (a set); a private room's alone may see it."""
        return f"chat:room:{self._room(room)}:members"

    def room_meta(self, room: str) -> str:
        """The room's topic (`topic`, `topic_by`, `topic_ts`)."""
        return f"chat:room:{self._room(room)}:meta"

    def dedup(self, room: str, user_name: str, client_id: str) -> str:
        return f"chat:dedup:{self._room(room)}:{user_name}:{client_id}"

    def send_rate(self, user_name: str, room: str) -> str:
        """The send script's rate window. On a cluster it must share the room's shard, so the
        window counts a user's sends per room there; on one node, across all rooms."""
        if self.hash_tags:
            return f"chat:rate:send:{self._room(room)}:{user_name}"
        return f"chat:rate:send:{user_name}"

    def room_probe(self, room: str) -> str:
        """Written only so WAIT can confirm a read of the room, on the room's shard."""
        return f"{self.REPLICATION_PROBE}:{self._room(room)}" if self.hash_tags else self.REPLICATION_PROBE

    def room_channel(self, room: str) -> str:
        """The room's sharded pub/sub channel (new entries, presence, typing: realtime/tail.py)."""
        return f"chat:room:{self._room(room)}:events"

    def throttle(self, what: str, *who: str) -> str:
        """A counter of quotas.py, e.g. ("login:user", name). On a cluster every counter shares
        one shard, so one script counts several of them at once."""
        return f"chat:throttle:{'{throttle}:' if self.hash_tags else ''}{what}:{':'.join(who)}"

    def presence(self, room: str) -> str:
        return f"chat:presence:{self._room(room)}"

    def process_rooms(self, process: str) -> str:
        """The rooms a backend process ever had presence in (realtime/presence.py)."""
        return f"chat:process:{process}:rooms"

    def process_users(self, process: str) -> str:
        """The users a backend process ever held a socket lease of (socket_leases.py)."""
        return f"chat:process:{process}:users"


ONE_NODE = Keys(hash_tags=False)
CLUSTER = Keys(hash_tags=True)
