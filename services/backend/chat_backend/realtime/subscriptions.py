"""What the tail delivers to: a socket as the tail and presence see it, and its delivery
state in each room it is subscribed to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

MessageOrder = tuple[int, int]  # store.messages.parse_id's: how ids compare


class Subscriber(Protocol):
    """A socket as the tail and presence see it (connection.py's Connection): who it is, the
    rooms it is subscribed to, and pushes of frames."""

    id: str
    user: str
    rooms: dict[str, RoomSubscription]

    def push(self, frames: Sequence[bytes]) -> None:
        """Live frames, shared with other sockets."""

    def push_replay(self, frames: Sequence[bytes]) -> None:
        """A page of a replay."""

    async def ready_for_replay(self) -> bool:
        """Once the socket has room for another page of a replay: True; False once closed
        (it did not take the last page in time: a slow consumer)."""


@dataclass(eq=False, slots=True)
class RoomSubscription:
    """Delivery state of one connection in one room. While the missed messages are being
    replayed, live ones are buffered; afterwards anything at or below `floor` was already sent."""

    conn: Subscriber
    replaying: bool = True
    buffer: list[tuple[MessageOrder, bytes]] = field(default_factory=list)
    floor: MessageOrder = (0, 0)

    def deliver(self, batch: list[tuple[MessageOrder, bytes]], frames: list[bytes]) -> None:
        """`batch`: new messages in order; `frames`: their frames alone, shared by the room."""
        if self.replaying:
            self.buffer.extend(batch)
        elif batch[0][0] > self.floor:
            self.conn.push(frames)
        else:
            self.conn.push([frame for message_id, frame in batch if message_id > self.floor])

    def finish_replay(self, replayed: list[tuple[MessageOrder, bytes]], floor: MessageOrder) -> None:
        """Send the replay then the buffered live messages it did not cover; no await in
        here, so nothing can slip in between."""
        self.conn.push_replay([frame for _, frame in replayed])
        if replayed:
            floor = max(floor, replayed[-1][0])
        self.floor = floor
        live = [frame for message_id, frame in self.buffer if message_id > floor]
        if live:
            self.conn.push(live)
        self.buffer.clear()
        self.replaying = False


LocalRooms = dict[str, set[RoomSubscription]]  # the rooms with local subscribers, and theirs
