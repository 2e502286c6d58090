"""A connection to one Redis node for the hot paths, on hiredis (redis-py's own parser) alone.

Every message sent runs a script, and every worker hears every message of its rooms on their
sharded channels: through redis-py's pool, retry and stream layers those cost a worker more
than the rest of a message. Here a command is written as it comes and replies resolve in order
(one connection per node, pipelined: no pool, no task per command), and pub/sub messages reach
a callback as they arrive. Errors are redis-py's exception classes, so callers handle both
alike; everything else stays on redis-py.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import ssl
from collections.abc import Callable
from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis._parsers.base import BaseParser
from redis.exceptions import ConnectionError, InvalidResponse, NoScriptError

from chat_backend.store.redis_client import CONNECT_TIMEOUT

OnPush = Callable[[list[Any]], None]


class Pipelined(asyncio.Protocol):
    """One connection: `call` for commands, or (after `subscribe_mode`) pushes to `on_push`."""

    def __init__(self) -> None:
        self._reader = hiredis.Reader(
            protocolError=InvalidResponse, replyError=BaseParser.parse_error, encoding="utf-8"
        )
        self._pending: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._transport: asyncio.Transport | None = None
        self._on_push: OnPush | None = None
        self._on_lost: Callable[[Exception], None] | None = None
        self.closed = False

    @classmethod
    async def open(cls, url: str) -> Pipelined:
        """Connected, authenticated and on the URL's database, as redis-py would be."""
        options = aioredis.ConnectionPool.from_url(url).connection_kwargs
        loop = asyncio.get_running_loop()
        conn = cls()
        async with asyncio.timeout(CONNECT_TIMEOUT):
            if "path" in options:
                await loop.create_unix_connection(lambda: conn, options["path"])
            else:
                tls = ssl.create_default_context() if url.startswith("rediss://") else None
                host = options.get("host", "localhost")
                await loop.create_connection(lambda: conn, host, options.get("port", 6379), ssl=tls)
            if options.get("password") is not None:
                username = options.get("username")
                await conn.call("AUTH", *((username,) if username else ()), options["password"])
            if int(options.get("db") or 0):
                await conn.call("SELECT", options["db"])
        return conn

    def subscribe_mode(self, on_push: OnPush, on_lost: Callable[[Exception], None]) -> None:
        """From now on every reply (subscribe confirmations, messages) goes to `on_push`, and
        the connection's end to `on_lost`; commands are sent with `send`."""
        self._on_push, self._on_lost = on_push, on_lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            if self._pending:
                future = self._pending.popleft()
                if future.done():  # its caller was cancelled: the reply is dropped
                    continue
                if isinstance(reply, Exception):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
            elif self._on_push is not None:
                self._on_push(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        error = ConnectionError(f"Redis closed the connection: {exc or 'EOF'}")
        while self._pending:
            future = self._pending.popleft()
            if not future.done():
                future.set_exception(error)
        if self._on_lost is not None:
            self._on_lost(error)

    def send(self, *args: str | int) -> None:
        """A command whose reply is not awaited (a subscribe's comes to `on_push`)."""
        if self.closed or self._transport is None:
            raise ConnectionError("the Redis connection is closed")
        self._transport.write(hiredis.pack_command(args))  # type: ignore[arg-type]  # the stub takes one argument

    def call(self, *args: str | int) -> asyncio.Future[Any]:
        """The command's reply (an error reply raises); written at once, behind any before it."""
        self.send(*args)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(future)
        return future

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class ScriptRunner:
    """Scripts on one pipelined connection per node, opened on first use and again after it
    was lost (the call that finds it lost fails, as a pooled connection's would)."""

    def __init__(self) -> None:
        self._conns: dict[str, asyncio.Task[Pipelined]] = {}

    async def _conn(self, url: str) -> Pipelined:
        opening = self._conns.get(url)
        if opening is not None and opening.done() and (opening.exception() or opening.result().closed):
            opening = None
        if opening is None:
            opening = self._conns[url] = asyncio.ensure_future(Pipelined.open(url))
        try:
            return await asyncio.shield(opening)
        except BaseException:
            if self._conns.get(url) is opening and opening.done():
                del self._conns[url]
            raise

    async def run(self, url: str, script: Any, keys: list[str], args: list[str | int]) -> Any:
        """The script's reply; a script the node has not cached yet (new, restarted, promoted) is
        sent whole."""
        conn = await self._conn(url)
        try:
            return await conn.call("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await conn.call("EVAL", script.script, len(keys), *keys, *args)

    def close(self) -> None:
        for opening in self._conns.values():
            if opening.done() and not opening.exception():
                opening.result().close()
            else:
                opening.cancel()
        self._conns.clear()
