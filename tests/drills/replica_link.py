"""The replication link of a drill's replica: a TCP relay on 127.0.0.1 that can be frozen
and then cut.

Frozen, nothing passes either way: the replica falls behind and the primary's writes pile
up on the primary's side. Cut, what piled up is gone, as when a primary dies before its
replica caught up. SIGSTOP on the replica cannot show that here: on loopback the dead
primary's socket buffers still hand the resumed replica every byte (tried: 400 of 400
writes arrived), so nothing would be lost and the drill would prove nothing.
"""

from __future__ import annotations

import asyncio
import contextlib


class ReplicaLink:
    def __init__(self, primary_port: int):
        self.primary_port = primary_port
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._pumps: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def freeze(self) -> None:
        self._flowing.clear()

    def cut(self) -> None:
        """Drop every connection without delivering what the freeze held back."""
        if self._server is not None:
            self._server.close()
        for pump in self._pumps:
            pump.cancel()
        for writer in self._writers:
            writer.transport.abort()

    async def _relay(self, from_replica: asyncio.StreamReader, to_replica: asyncio.StreamWriter) -> None:
        primary_reader, primary_writer = await asyncio.open_connection("127.0.0.1", self.primary_port)
        self._writers += [to_replica, primary_writer]
        pumps = [
            asyncio.create_task(self._pump(from_replica, primary_writer)),
            asyncio.create_task(self._pump(primary_reader, to_replica)),
        ]
        self._pumps += pumps
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:
            pump.cancel()
        for writer in (to_replica, primary_writer):
            writer.transport.abort()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                await self._flowing.wait()  # frozen: stop reading, so the bytes stay behind
                sink.write(data)
                await sink.drain()
