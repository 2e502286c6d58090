"""WS /api/ws: authenticate, then serve frames until the client goes away."""

from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import RedisError
from starlette.websockets import WebSocket, WebSocketDisconnect

from chat_backend import frames, metrics
from chat_backend.connection import Connection
from chat_backend.errors import error_response
from chat_backend.hub import encode
from chat_backend.services import SESSION_COOKIE, Services, services

log = logging.getLogger("chat_backend.ws")
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013
TYPING_INTERVAL = 1.0  # seconds between typing events relayed per connection and room


async def websocket_endpoint(ws: WebSocket) -> None:
    svc = services(ws)
    origin = (ws.headers.get("origin") or "").rstrip("/")
    if origin not in svc.settings.allowed_origins:
        metrics.REJECTED.labels(kind="ws", code="origin_refused").inc()
        await ws.close(POLICY_VIOLATION)  # before accept: the upgrade is answered with 403
        return
    try:
        user = await svc.accounts.session_user(ws.cookies.get(SESSION_COOKIE))
    except (RedisError, OSError):
        await _refuse_unavailable(ws)
        return
    if user is None:
        metrics.REJECTED.labels(kind="ws", code="unauthenticated").inc()
        await ws.close(POLICY_VIOLATION)
        return
    await ws.accept()
    conn = Connection(ws, user, svc.settings.send_queue_size)
    conn.start()
    svc.hub.connect(conn)
    metrics.CONNECTIONS.inc()
    try:
        await _serve(svc, conn)
        await conn.send_close()
    finally:
        metrics.CONNECTIONS.dec()
        await conn.stop()
        await svc.hub.disconnect(conn)


async def _refuse_unavailable(ws: WebSocket) -> None:
    """Redis is down, so the session cannot be checked: 503 like the HTTP API, where the
    server can answer an upgrade with a response; otherwise close with "try again later"."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(
            error_response(503, "redis_unavailable", "storage is unavailable; retry")
        )
    else:
        metrics.REJECTED.labels(kind="ws", code="redis_unavailable").inc()
        await ws.close(TRY_AGAIN_LATER)


async def _serve(svc: Services, conn: Connection) -> None:
    ws = conn.ws
    while not conn.closed:
        conn.receiving = True
        try:
            event = await ws.receive()
        except asyncio.CancelledError:
            if conn.close_frame is None:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # Connection.close interrupted the receive; not a real cancellation
            return
        except (WebSocketDisconnect, RuntimeError):
            return
        finally:
            conn.receiving = False
        if event["type"] == "websocket.disconnect":
            return
        text = event.get("text")
        if _too_big(text if text is not None else event.get("bytes"), svc.settings.max_frame_bytes):
            # uvicorn refuses such frames itself (ws_max_size); granian has no such limit.
            metrics.REJECTED.labels(kind="ws", code="too_big").inc()
            conn.close(MESSAGE_TOO_BIG, f"frames are limited to {svc.settings.max_frame_bytes} bytes")
            return
        if conn.draining:
            continue  # shutting down: not handled, so not acked; the client resends after reconnecting
        if text is None:
            _error(conn, frames.FrameError("binary_unsupported", "frames must be JSON text, not binary"))
            continue
        conn.handling = True
        try:
            await _handle(svc, conn, frames.parse(text, svc.settings.max_message_length))
        except frames.FrameError as err:
            _error(conn, err)
        except (RedisError, OSError) as exc:
            log.warning("storage unavailable", extra={"error": str(exc), "user": conn.user})
            _error(
                conn, frames.FrameError("unavailable", "storage is unavailable; nothing was stored, retry")
            )
        finally:
            conn.handling = False


def _too_big(payload: str | bytes | None, limit: int) -> bool:
    if payload is None or len(payload) <= limit // 4:  # a character is at most 4 UTF-8 bytes
        return False
    return len(payload.encode() if isinstance(payload, str) else payload) > limit


async def _handle(svc: Services, conn: Connection, frame: frames.Frame) -> None:
    match frame:
        case frames.Send(room, text, client_id):
            await _send(svc, conn, room, text, client_id)
        case frames.Subscribe(room, since):
            await _require_room(svc, room)
            await svc.hub.subscribe(conn, room, since)
        case frames.Unsubscribe(room):
            await svc.hub.unsubscribe(conn, room)
        case frames.Typing(room):
            if room not in conn.rooms:
                raise frames.FrameError("not_subscribed", f"subscribe to {room!r} first")
            now = time.monotonic()
            if now - conn.last_typing.get(room, 0.0) >= TYPING_INTERVAL:
                conn.last_typing[room] = now
                await svc.hub.publish(room, encode({"type": "typing", "room": room, "user": conn.user}))
        case frames.Ping():
            conn.push('{"type":"pong"}')


async def _send(svc: Services, conn: Connection, room: str, text: str, client_id: str) -> None:
    started = time.perf_counter()
    await _require_room(svc, room, client_id)
    try:
        result = await svc.messages.send(room, conn.user, text, client_id)
    except (RedisError, OSError) as exc:
        log.warning("send failed", extra={"error": str(exc), "user": conn.user})
        raise frames.FrameError(
            "unavailable", "storage is unavailable; not acked, retry with the same client_id", client_id
        ) from exc
    if result.status == "rate":
        raise frames.FrameError("rate_limited", f"too many messages; retry in {result.value} ms", client_id)
    if result.status == "ok":
        metrics.MESSAGES_IN.inc()
    conn.push(encode({"type": "ack", "client_id": client_id, "id": result.value}))
    metrics.SEND_LATENCY.observe(time.perf_counter() - started)


async def _require_room(svc: Services, room: str, client_id: str | None = None) -> None:
    if not await svc.messages.room_exists(room):
        raise frames.FrameError("unknown_room", f"room {room!r} does not exist", client_id)


def _error(conn: Connection, err: frames.FrameError) -> None:
    metrics.REJECTED.labels(kind="ws", code=err.code).inc()
    frame: dict[str, str] = {"type": "error", "code": err.code, "detail": err.detail}
    if err.client_id is not None:
        frame["client_id"] = err.client_id
    conn.push(encode(frame))
