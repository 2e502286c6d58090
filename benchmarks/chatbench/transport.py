"""What the fan-out driver needs from a system under test: subscribers that hand every
received probe text to a callback, and senders that send probes and learn which were
accepted. Implemented by the chat backend (websocket.py), the Socket.IO peer (socketio.py) and raw
Redis pub/sub (pubsub.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

OnText = Callable[[str], None]

# How many distinct messages a client process may be receiving at once: the size of the memos that
# decode and parse each message once per process rather than once per reader. The systems encode
# a broadcast once and every reader of the room gets the same bytes; at the top step a backlog
# holds a few thousand messages, and a message that fell out is only decoded again.
IN_FLIGHT = 4096


class Subscriber(Protocol):
    async def close(self) -> None: ...


@dataclass
class SendRecord:
    """What a sender learnt: the probes the system accepted, and refusals by error code."""

    acked: set[int] = field(default_factory=set)
    errors: dict[str, int] = field(default_factory=dict)

    def refused(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1


class Sender(Protocol):
    record: SendRecord

    async def send(self, seq: int, text: str) -> None: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    async def subscriber(self, client: int, room: int, on_text: OnText) -> Subscriber: ...

    async def sender(self, room: int) -> Sender: ...

    def reconnects(self) -> int: ...
