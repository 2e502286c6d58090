"""Frames written straight to the transport under uvicorn as production configures it, read
back by a real WebSocket client: every length encoding, in order, batched or alone."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from chat_backend import wire
from chat_backend.__main__ import UVICORN_PROTOCOLS
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect

# One of each header size: 7-bit, 16-bit and 64-bit payload lengths.
PAYLOADS = ["{}", "x" * 125, "é" * 200, "y" * 70_000]


async def test_uvicorn_frames_go_straight_to_the_transport_and_parse() -> None:
    outboxes: list[wire.Outbox] = []
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        ws = WebSocket(scope, receive, send)
        await ws.accept()
        outbox = wire.outbox_for(ws)
        outboxes.append(outbox)
        scopes.append(scope)
        frames = [wire.text_frame(p.encode()) for p in PAYLOADS]
        outbox.write(frames[:1])  # alone
        outbox.write(frames[1:])  # a batch in one write
        await ws.receive()  # until the client goes

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, fd=sock.fileno(), log_config=None, **UVICORN_PROTOCOLS)
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
                await asyncio.sleep(0.01)
            async with connect(f"ws://127.0.0.1:{port}/", max_size=None, compression=None) as client:
                got = [await asyncio.wait_for(client.recv(), 5) for _ in PAYLOADS]
        finally:
            server.should_exit = True
            await serving
    assert got == PAYLOADS
    assert [type(o) for o in outboxes] == [wire.TransportOutbox]
    assert scopes[0]["headers"] == [], "an open socket does not keep its handshake headers"


def test_a_frame_carries_its_payload_after_the_header() -> None:
    for payload in PAYLOADS:
        assert wire.payload_of(wire.text_frame(payload.encode())) == payload.encode()
