"""An accepted WebSocket (docs/protocol.md), once http/upgrade.py let it in: each frame it
reads is handled and answered."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from chat_backend import metrics
from chat_backend.protocol import (
    PONG,
    Ack,
    ClientFrame,
    CloseCode,
    Delete,
    Edit,
    ErrorCode,
    MentionNotice,
    Ping,
    Read,
    Send,
    Subscribe,
    Typing,
    Unsubscribe,
)
from chat_backend.realtime import frames
from chat_backend.realtime.connection import Connection
from chat_backend.realtime.hub import Hub
from chat_backend.settings import Settings
from chat_backend.store import mentions
from chat_backend.store.access import Access
from chat_backend.store.accounts import Accounts, Session
from chat_backend.store.messages import Messages, RateLimited, Refused, Stored
from chat_backend.store.reads import Reads
from chat_backend.store.threads import Replied, Threads

log = logging.getLogger("chat_backend.ws")
TYPING_INTERVAL = 1.0  # seconds between typing events relayed per connection and room


class Sockets:
    def __init__(
        self,
        settings: Settings,
        hub: Hub,
        accounts: Accounts,
        messages: Messages,
        access: Access,
        reads: Reads,
        threads: Threads,
    ):
        self.threads = threads
        self.settings = settings
        self.hub = hub
        self.accounts = accounts
        self.messages = messages
        self.access = access
        self.reads = reads

    async def serve(self, ws: WebSocket, session: Session) -> None:
        """Until the socket closes, or its session ends: the frames of the session's user,
        one at a time."""
        conn = Connection(ws, session, self.settings.send_buffer_bytes)
        await self.hub.connect(conn)
        metrics.CONNECTIONS.inc()
        # Expiry closes the socket when it comes, without a Redis round trip (logout and
        # ended sessions: notices.py).
        loop = asyncio.get_running_loop()
        expiry = loop.call_at(loop.time() + session.expires_at - time.time(), _session_ended, conn)
        try:
            await conn.run(functools.partial(self._on_frame, conn))
        finally:
            expiry.cancel()
            metrics.CONNECTIONS.dec()
            await self.hub.disconnect(conn)

    async def _on_frame(self, conn: Connection, payload: str | bytes) -> None:
        """Answer one frame; whatever is wrong with it is answered with an error frame."""
        if time.time() >= conn.session_expires:  # a frame that came in as the session expired
            _session_ended(conn)
            return
        try:
            if isinstance(payload, bytes):
                raise frames.FrameError(ErrorCode.BINARY_UNSUPPORTED, "frames must be JSON text, not binary")
            await self._handle(conn, frames.parse(payload, self.settings.max_message_length))
        except frames.FrameError as err:
            _error(conn, err)
        except (RedisError, OSError) as exc:
            log.warning("storage unavailable", extra={"error": str(exc), "user": conn.user})
            _error(
                conn,
                frames.FrameError(ErrorCode.UNAVAILABLE, "storage is unavailable; nothing was stored, retry"),
            )

    async def _handle(self, conn: Connection, frame: ClientFrame) -> None:
        match frame:
            case Send():
                await self._send(conn, frame)
            case Edit() | Delete():
                await self._change(conn, frame)
            case Subscribe():
                await self._require_room(conn, frame.room)
                ceiling = self.settings.max_subscriptions_per_socket
                if frame.room not in conn.rooms and len(conn.rooms) >= ceiling:
                    detail = f"subscribed to {ceiling} rooms, the most one socket may: unsubscribe one first"
                    raise frames.FrameError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, detail)
                await self.hub.subscribe(conn, frame.room, frame.since)
            case Unsubscribe():
                await self.hub.unsubscribe(conn, frame.room)
            case Typing():
                room = frame.room
                await self._require_room(conn, room)
                if room not in conn.rooms:
                    raise frames.FrameError(ErrorCode.NOT_SUBSCRIBED, f"subscribe to {room!r} first")
                now = time.monotonic()
                if now - conn.last_typing.get(room, 0.0) >= TYPING_INTERVAL:
                    conn.last_typing[room] = now
                    await self.hub.presence.typing(room, conn.user)
            case Read():
                await self._require_room(conn, frame.room)
                await self.reads.mark(frame.room, conn.user, frame.seq)
            case Ping():
                conn.send(PONG)

    async def _send(self, conn: Connection, frame: Send) -> None:
        started = time.perf_counter()
        client_id = frame.client_id
        try:
            await self._require_room(conn, frame.room, client_id)
            mentioned = await mentions.mentioned(
                self.accounts, self.access, frame.text, frame.room, conn.user
            )
            if frame.thread is None:
                result: Stored | RateLimited | None = await self.messages.send(
                    frame.room, conn.user, frame.text, client_id, mentioned
                )
            else:
                result = await self.threads.reply(
                    frame.room, conn.user, frame.text, client_id, frame.thread, frame.in_room, mentioned
                )
                if isinstance(result, Replied) and result.notified:
                    mentioned = [*mentioned, *await self._still_in(frame.room, result.notified, mentioned)]
        except (RedisError, OSError) as exc:
            raise _unavailable(conn, client_id, exc) from exc
        if result is None:
            detail = f"no message {frame.thread!r} in {frame.room!r} to reply to"
            raise frames.FrameError(ErrorCode.UNKNOWN_MESSAGE, detail, client_id)
        stored = _acknowledge(conn, client_id, result)
        metrics.SEND_LATENCY.observe(time.perf_counter() - started)
        if stored.new:
            metrics.MESSAGES_IN.inc()
            self.hub.activity.stored(frame.room, stored.seq)
            if mentioned:  # after the ack: the sender waits for nothing more
                notice = MentionNotice(room=frame.room, seq=stored.seq, user=conn.user, id=stored.id)
                await self.hub.notices.to_users(mentioned, notice)

    async def _still_in(self, room: str, thread_people: tuple[str, ...], mentioned: list[str]) -> list[str]:
        """Those in a thread to notify of a reply: not mentioned already, and able to see the
        room still (a private room's members; a DM's are fixed)."""
        people = [person for person in thread_people if person not in mentioned]
        if people and await self.access.is_private(room):
            members = (await self.access.private_members([room])).get(room, set())
            people = [person for person in people if person in members]
        return people

    async def _change(self, conn: Connection, frame: Edit | Delete) -> None:
        client_id = frame.client_id
        try:
            await self._require_room(conn, frame.room, client_id)
            text = frame.text if isinstance(frame, Edit) else None
            result = await self.messages.change(frame.room, conn.user, frame.id, client_id, text)
        except (RedisError, OSError) as exc:
            raise _unavailable(conn, client_id, exc) from exc
        if isinstance(result, Refused):
            if result.reason == "forbidden":
                raise frames.FrameError(ErrorCode.FORBIDDEN, "not your message", client_id)
            detail = f"no message {frame.id!r} in {frame.room!r} (or it was deleted)"
            raise frames.FrameError(ErrorCode.UNKNOWN_MESSAGE, detail, client_id)
        _acknowledge(conn, client_id, result)

    async def _require_room(self, conn: Connection, room: str, client_id: str | None = None) -> None:
        """The room exists and the user may see it; both refusals read alike."""
        if not await self.access.can_see(conn.user, room):
            raise frames.FrameError(ErrorCode.UNKNOWN_ROOM, f"room {room!r} does not exist", client_id)


def _session_ended(conn: Connection) -> None:
    conn.close(CloseCode.SESSION_ENDED, "the session ended: log in again")


def _unavailable(conn: Connection, client_id: str, exc: Exception) -> frames.FrameError:
    """Redis failed while a frame was stored: refused with its client_id, to resend."""
    log.warning("store failed", extra={"error": str(exc), "user": conn.user})
    return frames.FrameError(
        ErrorCode.UNAVAILABLE, "storage is unavailable; not acked, retry with the same client_id", client_id
    )


def _acknowledge(conn: Connection, client_id: str, result: Stored | RateLimited) -> Stored:
    if isinstance(result, RateLimited):
        wait = result.retry_after_ms
        raise frames.FrameError(
            ErrorCode.RATE_LIMITED, f"too many messages; retry in {wait} ms", client_id, retry_after_ms=wait
        )
    conn.send(Ack.model_construct(client_id=client_id, id=result.id, ts=result.ts))  # fields of ours
    return result


def _error(conn: Connection, err: frames.FrameError) -> None:
    metrics.REJECTED.labels(kind="ws", code=err.code).inc()
    conn.send(err.frame)
