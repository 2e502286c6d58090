"""A socket as the tail sees it, recording what it was sent: for tests that drive the tail in
process."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from chat_backend.realtime.subscriptions import RoomSubscription


class RecordingConnection:
    """What the tail needs of a socket (tail.Subscriber): its rooms, and pushes of frames (one
    write each)."""

    def __init__(self) -> None:
        self.id = "1"
        self.user = "reader"
        self.rooms: dict[str, RoomSubscription] = {}
        self.writes: list[list[bytes]] = []
        self.arrived = asyncio.Event()

    def push(self, frames: Sequence[bytes]) -> None:
        self.writes.append(list(frames))
        self.arrived.set()

    def push_replay(self, frames: Sequence[bytes]) -> None:
        if frames:
            self.push(frames)

    async def ready_for_replay(self) -> bool:
        return True

    def frames(self) -> int:
        return sum(len(write) for write in self.writes)
