"""Frames for users and for everyone, across every replica, over Redis pub/sub.

Each user has a channel (Keys.user_channel) that a process listens to while it holds one of
their sockets: read positions, mentions and new DMs go only to the processes that have their
sockets. New rooms go to every socket (Keys.ROOMS_CHANNEL); activity (activity.py) has its own
channel, and so has the end of a user's membership of a private room (Keys.REMOVALS_CHANNEL,
which the hub acts on). Nothing here is stored: after losing its pub/sub connection a process listens again,
and what was published meanwhile is gone (clients read GET /api/rooms again on reconnect).

On a Redis Cluster these few frames stay on classic pub/sub, which the cluster relays to every
node: a process listens on any master and, when that one fails, on another (the busy traffic of
rooms is on sharded channels: tail.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Iterable, Mapping

import orjson
import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from chat_backend import protocol
from chat_backend.realtime import wire
from chat_backend.realtime.connection import Connection
from chat_backend.settings import Settings
from chat_backend.store import redis_client
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client, Shards
from chat_backend.tasks import stopped

log = logging.getLogger("chat_backend.notices")
RETRY_SECONDS = 0.5


class Notices:
    """Delivers what the store's Notifier is asked to (store/notifier.py)."""

    def __init__(
        self,
        redis: Client,
        settings: Settings,
        keys: Keys,
        connections: Collection[Connection],
        users: Mapping[str, Collection[Connection]],
        on_activity: Callable[[str], None],
        on_removal: Callable[[str], None],
        shards: Shards | None = None,
    ):
        """`connections`, `users`: this process's sockets, all and by user (the hub's)."""
        self.redis = redis
        self.keys = keys
        self.connections = connections
        self.users = users
        self._handlers: dict[str, Callable[[str], None]] = {
            self.keys.ROOMS_CHANNEL: self._to_every_socket,
            self.keys.ACTIVITY_CHANNEL: on_activity,
            self.keys.REMOVALS_CHANNEL: on_removal,
            self.keys.SESSIONS_CHANNEL: self._close_ended_sessions,
        }
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self.shards = shards
        self._url = settings.redis_url
        self._attempts = 0  # on a cluster, each attempt to listen goes to the next master

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="notices")

    async def stop(self) -> None:
        if self._task is not None:
            await stopped(self._task)

    async def to_users(self, users: Iterable[str], frame: protocol.ServerFrame) -> None:
        """`frame` to every socket of each of `users`, on any replica."""
        await self._publish([self.keys.user_channel(user) for user in users], protocol.encode(frame))

    async def to_everyone(self, frame: protocol.ServerFrame) -> None:
        await self._publish([self.keys.ROOMS_CHANNEL], protocol.encode(frame))

    async def removed(self, user: str, room: str) -> None:
        """The user lost the private room: every replica's hub ends their sockets' delivery."""
        await self._publish([self.keys.REMOVALS_CHANNEL], orjson.dumps({"user": user, "room": room}))

    async def end_sessions(self, user: str, session_ids: list[str]) -> None:
        """The user's sockets of these sessions close, here and on every other replica."""
        payload = orjson.dumps({"user": user, "sessions": session_ids})
        self._close_ended_sessions(payload)  # at once here, whatever happens to the publish
        await self._publish([self.keys.SESSIONS_CHANNEL], payload)

    def _close_ended_sessions(self, payload: str | bytes) -> None:
        ended = orjson.loads(payload)
        sessions = set(ended["sessions"])
        for conn in list(self.users.get(ended["user"], ())):
            if conn.session_id in sessions:
                conn.close(protocol.CloseCode.SESSION_ENDED, "the session ended: log in again")

    async def _publish(self, channels: list[str], payload: bytes) -> None:
        """Best effort, like everything published: a lost notice costs a refresh, not data."""
        try:
            if self.shards is not None:  # a cluster pipelines no PUBLISH
                await asyncio.gather(*(self.redis.publish(channel, payload) for channel in channels))
                return
            async with self.redis.pipeline(transaction=False) as pipe:
                for channel in channels:
                    pipe.publish(channel, payload)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("notice not published", extra={"error": str(exc)})

    async def listen_to(self, user: str) -> None:
        """From now on the user's notices reach this process (their first socket here)."""
        channel = self.keys.user_channel(user)
        await self._command(lambda pubsub: pubsub.subscribe(channel))

    async def stop_listening_to(self, user: str) -> None:
        """Their last socket here closed."""
        channel = self.keys.user_channel(user)
        await self._command(lambda pubsub: pubsub.unsubscribe(channel))

    async def _command(self, command: Callable[[PubSub], object]) -> None:
        # Without a connection now, the next one listens to every user that has a socket here.
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await command(self._pubsub)  # type: ignore[misc]

    def _to_every_socket(self, payload: str) -> None:
        frames = [wire.text_frame(payload.encode())]
        for conn in list(self.connections):
            conn.push(frames)

    def _to_user(self, user: str, payload: str) -> None:
        frames = [wire.text_frame(payload.encode())]
        for conn in list(self.users.get(user, ())):
            conn.push(frames)

    async def _next_master(self, shards: Shards) -> aioredis.Redis:
        """On a cluster, where to listen next: the masters that serve now, in turn."""
        with contextlib.suppress(RedisError, OSError):
            await shards.refresh()
        masters = shards.cluster.get_primaries()
        self._attempts += 1
        return shards.client(masters[self._attempts % len(masters)])

    async def _listen(self) -> None:
        if self.shards is None:  # REDIS_URL's node, on a connection of its own
            async with redis_client.dedicated_client(self._url) as one_node:
                while True:
                    await self._listen_on(one_node.pubsub(ignore_subscribe_messages=True))
        while True:
            subscriber = await self._next_master(self.shards)
            await self._listen_on(subscriber.pubsub(ignore_subscribe_messages=True))

    async def _listen_on(self, pubsub: PubSub) -> None:
        """Until the connection fails: every notice it carries to the sockets it is for."""
        try:
            await pubsub.subscribe(*self._handlers)
            self._pubsub = pubsub
            if self.users:
                await pubsub.subscribe(*map(self.keys.user_channel, list(self.users)))
            async for event in pubsub.listen():
                channel, payload = event["channel"], event["data"]
                handler = self._handlers.get(channel)
                if handler is not None:
                    handler(payload)
                elif channel.startswith(self.keys.USER_CHANNEL_PREFIX):
                    self._to_user(channel.removeprefix(self.keys.USER_CHANNEL_PREFIX), payload)
        except (RedisError, OSError) as exc:
            log.warning("notice subscription failed, retrying", extra={"error": str(exc)})
            await asyncio.sleep(RETRY_SECONDS)
        finally:
            self._pubsub = None
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
