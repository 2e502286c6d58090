"""realtime/uvicorn_adapter.py against the pinned uvicorn: what it touches of uvicorn's
internals is there and behaves as it expects, and frames it writes straight to the transport
reach a real WebSocket client intact — every length encoding, in order, alone or batched."""

from __future__ import annotations

import asyncio
import inspect
import socket
import struct
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
import uvicorn
import uvloop
from chat_backend.realtime import wire
from chat_backend.realtime.uvicorn_adapter import UVICORN_PROTOCOLS, TransportOutbox, outbox_for
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.asyncio.client import connect

# One of each header size: 7-bit, 16-bit and 64-bit payload lengths.
PAYLOADS = ["{}", "x" * 125, "é" * 200, "y" * 70_000]


def test_the_configured_ws_protocol_is_the_class_the_adapter_recognises() -> None:
    config = uvicorn.Config(lambda *_: None, **UVICORN_PROTOCOLS)
    config.load()
    assert config.ws_protocol_class is WebSocketsSansIOProtocol
    assert config.ws_per_message_deflate is False  # a frame is then the same bytes on every socket


async def test_the_protocol_has_what_the_adapter_touches() -> None:
    config = uvicorn.Config(lambda *_: None, **UVICORN_PROTOCOLS)
    config.load()
    protocol = WebSocketsSansIOProtocol(config, ServerState(), {})
    assert protocol.close_sent is False
    assert "transport" in vars(protocol)  # set on connection_made, read by TransportOutbox
    # The ASGI send it hands the app is this method, bound: outbox_for finds the protocol as
    # its __self__ (the live test below sees it do so).
    assert inspect.iscoroutinefunction(WebSocketsSansIOProtocol.send)


def test_starlette_keeps_the_asgi_send_where_outbox_for_looks() -> None:
    async def send(message: Message) -> None:
        pass

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    ws = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send)
    assert ws._send is send
    with pytest.raises(TypeError, match="websockets-sansio"):
        outbox_for(ws)  # not served by uvicorn's websockets-sansio: refused, not misused


async def _serve(
    app: Callable[[Scope, Receive, Send], Awaitable[None]], client: Callable[[str], Awaitable[Any]]
) -> Any:
    """`app` under uvicorn configured as in production, on a free port; `client`'s result."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, fd=sock.fileno(), log_config=None, **UVICORN_PROTOCOLS))
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
                await asyncio.sleep(0.01)
            return await client(f"ws://127.0.0.1:{port}/")
        finally:
            server.should_exit = True
            await serving


async def test_frames_go_straight_to_the_transport_and_parse() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        ws = WebSocket(scope, receive, send)
        await ws.accept()
        protocol: WebSocketsSansIOProtocol = send.__self__  # type: ignore[attr-defined]
        seen["handshake"] = (protocol.request, protocol.response)
        outbox = outbox_for(ws)
        seen["forgotten"] = (protocol.request, protocol.response, scope["headers"])
        frames = [wire.text_frame(p.encode()) for p in PAYLOADS]
        outbox.write(frames[:1])  # alone
        outbox.write(frames[1:])  # a batch in one write
        await ws.receive()  # the client's "done"
        await ws.close()
        seen["close_sent"] = protocol.close_sent  # TransportOutbox.write writes nothing after it
        seen["outbox"] = outbox

    async def client(url: str) -> list[str | bytes]:
        async with connect(url, max_size=None, compression=None) as ws:
            got = [await asyncio.wait_for(ws.recv(), 5) for _ in PAYLOADS]
            await ws.send("done")
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1000
            return got

    assert await _serve(app, client) == PAYLOADS
    assert type(seen["outbox"]) is TransportOutbox
    assert all(part is not None for part in seen["handshake"]), "uvicorn no longer keeps request/response"
    assert seen["forgotten"] == (None, None, []), "an open socket keeps no handshake"
    assert seen["close_sent"] is True, "uvicorn no longer records its close frame as close_sent"


def test_a_frame_for_a_transport_the_peer_closed_is_dropped_not_raised() -> None:
    """Under uvloop (the server's loop) a transport the peer reset refuses writes before the
    socket's receive loop has heard: the frame is dropped, or the tail's or activity's
    delivery to every other socket would stop with the exception."""

    async def check() -> None:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[asyncio.Transport] = loop.create_future()

        class Accepting(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                accepted.set_result(transport)  # type: ignore[arg-type]

        server = await loop.create_server(Accepting, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        transport = await asyncio.wait_for(accepted, 5)
        client.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        client.close()  # a reset, as from a client that went away without a close frame
        await asyncio.sleep(0.1)
        assert transport.is_closing()
        protocol = SimpleNamespace(close_sent=False, transport=transport)
        TransportOutbox(protocol).write([wire.text_frame(b"{}")])  # type: ignore[arg-type]
        server.close()

    uvloop.run(check())
