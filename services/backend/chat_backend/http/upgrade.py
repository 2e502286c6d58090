"""WS /api/ws (docs/protocol.md): the upgrade is accepted from an allowed Origin with a valid
session, then the socket is realtime's (realtime/sockets.py)."""

from __future__ import annotations

from redis.exceptions import RedisError
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.websockets import WebSocket

from chat_backend import metrics
from chat_backend.http.errors import error_response
from chat_backend.http.services import SESSION_COOKIE, Services, services
from chat_backend.protocol import CloseCode
from chat_backend.store.accounts import Session


async def websocket_endpoint(ws: WebSocket) -> None:
    svc = services(ws)
    session = await _handshake_session(svc, ws)
    if session is None:
        return
    try:
        lease = await svc.leases.take(session.user)
    except (RedisError, OSError):
        await _refuse(ws, 503, "redis_unavailable", "storage is unavailable; retry")
        return
    if lease is None:
        limit = svc.settings.max_sockets_per_user
        await _refuse(ws, 429, "too_many_sockets", f"{limit} sockets open already, the most one user may")
        return
    try:
        await ws.accept()
        await svc.sockets.serve(ws, session)
    finally:
        await svc.leases.drop(lease)


async def _handshake_session(svc: Services, ws: WebSocket) -> Session | None:
    """The live session behind an allowed Origin; else the upgrade is refused and None.
    The headers are read without caching them on `ws`: an open socket keeps nothing of them."""
    headers = Headers(scope=ws.scope)
    origin = (headers.get("origin") or "").rstrip("/")
    if origin not in svc.settings.allowed_origins:
        metrics.REJECTED.labels(kind="ws", code="origin_refused").inc()
        await ws.close(CloseCode.POLICY_VIOLATION)  # before accept: the upgrade is answered with 403
        return None
    try:
        session = await svc.accounts.session(cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE))
    except (RedisError, OSError):
        await _refuse(ws, 503, "redis_unavailable", "storage is unavailable; retry")
        return None
    if session is None:
        metrics.REJECTED.labels(kind="ws", code="unauthenticated").inc()
        await ws.close(CloseCode.POLICY_VIOLATION)
    return session


async def _refuse(ws: WebSocket, status: int, code: str, detail: str) -> None:
    """The upgrade refused for now (Redis down, too many sockets): answered like the HTTP API
    where the server can answer an upgrade with a response; otherwise closed with "try again
    later"."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(error_response(status, code, detail))
    else:
        metrics.REJECTED.labels(kind="ws", code=code).inc()
        await ws.close(CloseCode.TRY_AGAIN_LATER)
