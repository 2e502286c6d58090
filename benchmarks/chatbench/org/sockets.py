"""One person's socket in the organisation plan, on the backend and on the Socket.IO peer: it
subscribes to every conversation of theirs, hands each probe it receives to the tally and sends
probes into any of them, learning which were accepted."""

from __future__ import annotations

import asyncio
from typing import Protocol

from chat_backend.protocol import Ping, Pong, Send, Subscribe
from chatkit import decode

from chatbench import rawws
from chatbench.socketio import PeerReader
from chatbench.transport import OnText, SendRecord
from chatbench.websocket import Target, message_of, record_answer, send


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
        if isinstance(frame, Pong) and not self.ready.done():
            self.ready.set_result(None)
        else:
            record_answer(self.record, frame)

    def send(self, conversation: str, seq: int, text: str) -> None:
        send(self.ws, Send(room=conversation, text=text, client_id=str(seq)))

    async def close(self) -> None:
        await self.ws.close()


class PeerPerson(PeerReader):
    def __init__(self, url: str, conversations: list[str], on_text: OnText):
        super().__init__(on_text)
        self.url, self.conversations = url, conversations

    async def start(self) -> None:
        await self.open(self.url)
        await self.join(self.conversations)

    def send(self, conversation: str, seq: int, text: str) -> None:
        self.emit(conversation, seq, text)
