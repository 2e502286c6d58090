"""What the store asks of whoever delivers frames to users' sockets (realtime.notices does, on
every replica): a new room for everyone, a new DM or a moved read position for its users, a
private room someone is no longer in, and the end of sessions whose sockets must close."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from chat_backend.protocol import ServerFrame


class Notifier(Protocol):
    async def to_users(self, users: Iterable[str], frame: ServerFrame) -> None:
        """`frame` to every socket of each of `users`, on any replica."""

    async def to_everyone(self, frame: ServerFrame) -> None:
        """`frame` to every socket, on any replica."""

    async def removed(self, user: str, room: str) -> None:
        """The user is no longer in the private room: their sockets, on any replica, stop
        delivering it and are told."""

    async def end_sessions(self, user: str, session_ids: list[str]) -> None:
        """Closes the sockets of `user` opened with these sessions, on any replica."""
