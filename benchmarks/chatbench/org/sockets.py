"""One person's socket in the organisation plan, on the backend and on the Socket.IO peer: it
subscribes to every conversation of theirs, hands each probe it receives to the tally and sends
probes into any of them, learning which were accepted."""

from __future__ import annotations

import asyncio
from typing import Protocol

from chat_backend.protocol import Ack, ErrorFrame, Ping, Pong, Send, Subscribe
from chatkit import decode

from chatbench import rawws
from chatbench.socketio import EVENT, PeerSocket, ProtocolError, message_text, packet
from chatbench.transport import OnText, SendRecord
from chatbench.websocket import Target, message_of, send


class Person(Protocol):
    record: SendRecord

    async def start(self) -> None:
        """Connected and subscribed to every conversation."""

    def send(self, conversation: str, seq: int, text: str) -> None: ...

    async def close(self) -> None: ...


class BackendPerson:
    def __init__(self, target: Target, cookie: str, conversations: list[str], on_text: OnText):
        self.target, self.cookie, self.conversations, self.on_text = target, cookie, conversations, on_text
        self.record = SendRecord()

    async def start(self) -> None:
        """Subscribed once the pong to a ping sent after the subscribes is in (frames are
        answered in order)."""
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ws = ws = rawws.WebSocket(self._on_message)
        await self.target.open(ws, self.cookie)
        for conversation in self.conversations:
            send(ws, Subscribe(room=conversation))
        send(ws, Ping())
        await asyncio.wait((self.ready, ws.closed), return_when=asyncio.FIRST_COMPLETED)
        if not self.ready.done():
            raise ConnectionError(f"closed ({ws.closed.result()}) before the subscribes were answered")

    def _on_message(self, payload: bytes) -> None:
        message = message_of(payload)
        if message is not None:
            self.on_text(message.text)
            return
        frame = decode(payload)
        if isinstance(frame, Ack):
            self.record.acked.add(int(frame.client_id))
        elif isinstance(frame, ErrorFrame):
            self.record.refused(str(frame.code))
        elif isinstance(frame, Pong) and not self.ready.done():
            self.ready.set_result(None)

    def send(self, conversation: str, seq: int, text: str) -> None:
        send(self.ws, Send(room=conversation, text=text, client_id=str(seq)))

    async def close(self) -> None:
        await self.ws.close()


class PeerPerson(PeerSocket):
    """Ack ids below len(conversations) answer the subscribes; the rest are sends."""

    def __init__(self, url: str, conversations: list[str], on_text: OnText):
        self.url, self.conversations, self.on_text = url, conversations, on_text
        self.record = SendRecord()
        self.pending: dict[int, int] = {}  # ack id -> seq
        self.next_ack = len(conversations)
        self.joined = 0

    async def start(self) -> None:
        await self.open(self.url)
        self.all_joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for ack_id, conversation in enumerate(self.conversations):
            self.ws.send_text(packet(EVENT, ["subscribe", conversation], ack_id))
        await asyncio.wait((self.all_joined, self.ws.closed), return_when=asyncio.FIRST_COMPLETED)
        if not self.all_joined.done():
            raise ProtocolError(f"closed ({self.ws.closed.result()}) before the joins were acked")

    def on_event(self, frame: bytes) -> None:
        if (text := message_text(frame)) is not None:
            self.on_text(text)

    def on_ack(self, ack_id: int | None) -> None:
        if ack_id is None:
            return
        if ack_id < len(self.conversations):
            self.joined += 1
            if self.joined == len(self.conversations):
                self.all_joined.set_result(None)
        elif ack_id in self.pending:
            self.record.acked.add(self.pending.pop(ack_id))

    def send(self, conversation: str, seq: int, text: str) -> None:
        ack_id, self.next_ack = self.next_ack, self.next_ack + 1
        self.pending[ack_id] = seq
        body = {"room": conversation, "text": text, "client_id": str(seq)}
        self.ws.send_text(packet(EVENT, ["message", body], ack_id))
