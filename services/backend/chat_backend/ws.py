"""WS /api/ws (docs/protocol.md): authenticate, then handle each frame the connection reads."""

from __future__ import annotations

import functools
import logging
import time

from redis.exceptions import RedisError
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.websockets import WebSocket

from chat_backend import frames, mentions, metrics
from chat_backend.connection import Connection
from chat_backend.errors import error_response
from chat_backend.messages import RateLimited, Refused, Stored
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
from chat_backend.services import SESSION_COOKIE, Services, services

log = logging.getLogger("chat_backend.ws")
TYPING_INTERVAL = 1.0  # seconds between typing events relayed per connection and room


async def websocket_endpoint(ws: WebSocket) -> None:
    svc = services(ws)
    user = await _handshake_user(svc, ws)
    if user is None:
        return
    await ws.accept()
    conn = Connection(ws, user, svc.settings.send_buffer_bytes, svc.settings.max_frame_bytes)
    await svc.hub.connect(conn)
    metrics.CONNECTIONS.inc()
    try:
        await conn.run(functools.partial(_on_frame, svc, conn))
    finally:
        metrics.CONNECTIONS.dec()
        await svc.hub.disconnect(conn)


async def _handshake_user(svc: Services, ws: WebSocket) -> str | None:
    """The logged-in user behind an allowed Origin; else the upgrade is refused and None.
    The headers are read without caching them on `ws`: an open socket keeps nothing of them."""
    headers = Headers(scope=ws.scope)
    origin = (headers.get("origin") or "").rstrip("/")
    if origin not in svc.settings.allowed_origins:
        metrics.REJECTED.labels(kind="ws", code="origin_refused").inc()
        await ws.close(CloseCode.POLICY_VIOLATION)  # before accept: the upgrade is answered with 403
        return None
    try:
        user = await svc.accounts.session_user(cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE))
    except (RedisError, OSError):
        await _refuse_unavailable(ws)
        return None
    if user is None:
        metrics.REJECTED.labels(kind="ws", code="unauthenticated").inc()
        await ws.close(CloseCode.POLICY_VIOLATION)
    return user


async def _refuse_unavailable(ws: WebSocket) -> None:
    """Redis is down, so the session cannot be checked: 503 like the HTTP API, where the
    server can answer an upgrade with a response; otherwise close with "try again later"."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(
            error_response(503, "redis_unavailable", "storage is unavailable; retry")
        )
    else:
        metrics.REJECTED.labels(kind="ws", code="redis_unavailable").inc()
        await ws.close(CloseCode.TRY_AGAIN_LATER)


async def _on_frame(svc: Services, conn: Connection, payload: str | bytes) -> None:
    """Answer one frame; whatever is wrong with it is answered with an error frame."""
    try:
        if isinstance(payload, bytes):
            raise frames.FrameError(ErrorCode.BINARY_UNSUPPORTED, "frames must be JSON text, not binary")
        await _handle(svc, conn, frames.parse(payload, svc.settings.max_message_length))
    except frames.FrameError as err:
        _error(conn, err)
    except (RedisError, OSError) as exc:
        log.warning("storage unavailable", extra={"error": str(exc), "user": conn.user})
        _error(
            conn,
            frames.FrameError(ErrorCode.UNAVAILABLE, "storage is unavailable; nothing was stored, retry"),
        )


async def _handle(svc: Services, conn: Connection, frame: ClientFrame) -> None:
    match frame:
        case Send():
            await _send(svc, conn, frame)
        case Edit() | Delete():
            await _change(svc, conn, frame)
        case Subscribe():
            await _require_room(svc, conn, frame.room)
            await svc.hub.subscribe(conn, frame.room, frame.since)
        case Unsubscribe():
            await svc.hub.unsubscribe(conn, frame.room)
        case Typing():
            room = frame.room
            await _require_room(svc, conn, room)
            if room not in conn.rooms:
                raise frames.FrameError(ErrorCode.NOT_SUBSCRIBED, f"subscribe to {room!r} first")
            now = time.monotonic()
            if now - conn.last_typing.get(room, 0.0) >= TYPING_INTERVAL:
                conn.last_typing[room] = now
                await svc.hub.presence.typing(room, conn.user)
        case Read():
            await _require_room(svc, conn, frame.room)
            await svc.reads.mark(frame.room, conn.user, frame.seq)
        case Ping():
            conn.send(PONG)


async def _send(svc: Services, conn: Connection, frame: Send) -> None:
    started = time.perf_counter()
    client_id = frame.client_id
    try:
        await _require_room(svc, conn, frame.room, client_id)
        mentioned = await mentions.mentioned(svc.accounts, frame.text, frame.room, conn.user)
        result = await svc.messages.send(frame.room, conn.user, frame.text, client_id, mentioned)
    except (RedisError, OSError) as exc:
        raise _unavailable(conn, client_id, exc) from exc
    stored = _acknowledge(conn, client_id, result)
    metrics.SEND_LATENCY.observe(time.perf_counter() - started)
    if stored.new:
        metrics.MESSAGES_IN.inc()
        svc.hub.activity.stored(frame.room, stored.seq)
        if mentioned:  # after the ack: the sender waits for nothing more
            notice = MentionNotice(room=frame.room, seq=stored.seq, user=conn.user, id=stored.id)
            await svc.hub.notices.to_users(mentioned, notice)


async def _change(svc: Services, conn: Connection, frame: Edit | Delete) -> None:
    client_id = frame.client_id
    try:
        await _require_room(svc, conn, frame.room, client_id)
        text = frame.text if isinstance(frame, Edit) else None
        result = await svc.messages.change(frame.room, conn.user, frame.id, client_id, text)
    except (RedisError, OSError) as exc:
        raise _unavailable(conn, client_id, exc) from exc
    if isinstance(result, Refused):
        if result.reason == "forbidden":
            raise frames.FrameError(ErrorCode.FORBIDDEN, "not your message", client_id)
        detail = f"no message {frame.id!r} in {frame.room!r} (or it was deleted)"
        raise frames.FrameError(ErrorCode.UNKNOWN_MESSAGE, detail, client_id)
    _acknowledge(conn, client_id, result)


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
    conn.send(Ack(client_id=client_id, id=result.id, ts=result.ts))
    return result


async def _require_room(svc: Services, conn: Connection, room: str, client_id: str | None = None) -> None:
    """The room exists and the user may see it; both refusals read alike."""
    if not await svc.rooms.can_see(conn.user, room):
        raise frames.FrameError(ErrorCode.UNKNOWN_ROOM, f"room {room!r} does not exist", client_id)


def _error(conn: Connection, err: frames.FrameError) -> None:
    metrics.REJECTED.labels(kind="ws", code=err.code).inc()
    conn.send(err.frame)
