"""The ASGI application: routes, error shape, and the per-process services' lifetime."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from chat_backend import api, errors, logs, redis_client, shutdown
from chat_backend.accounts import Accounts
from chat_backend.body_limit import BodyLimit
from chat_backend.hub import Hub
from chat_backend.messages import Messages
from chat_backend.reads import Reads
from chat_backend.rooms import Rooms
from chat_backend.services import Services
from chat_backend.settings import Settings, load_settings
from chat_backend.ws import websocket_endpoint

log = logging.getLogger("chat_backend")


class SocketsFirst:
    """Hands `/api/ws` straight to the WebSocket endpoint and everything else to FastAPI.

    A socket lives for hours; going around FastAPI's HTTP middleware chain means it does not
    hold that chain's frames, exit stacks and scope copy all that time (~9 KiB per socket).
    """

    def __init__(self, app: FastAPI):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/api/ws":
            scope["app"] = self.app
            await websocket_endpoint(WebSocket(scope, receive, send))
        else:
            await self.app(scope, receive, send)


def create_asgi_app(close_sockets_on_sigterm: bool = False) -> SocketsFirst:
    """The production entry point under uvicorn (`python -m chat_backend`)."""
    return SocketsFirst(create_app(close_sockets_on_sigterm=close_sockets_on_sigterm))


def create_granian_app() -> ASGIApp:
    """The entry point under granian (ASGI_SERVER=granian), which leaves X-Forwarded-For
    to the app: the client IP matters for login throttling behind the ingress."""
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
    return cast(
        ASGIApp, wrap_asgi_with_proxy_headers(create_asgi_app(close_sockets_on_sigterm=True), trusted)
    )


def create_app(settings: Settings | None = None, *, close_sockets_on_sigterm: bool = False) -> FastAPI:
    settings = settings or load_settings()
    logs.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with redis_client.open_store(settings) as store:
            redis = store.redis
            messages = Messages(redis, settings, store.shards)
            hub = Hub(redis, messages, settings)
            app.state.services = Services(
                settings,
                redis,
                Accounts(redis, settings),
                messages,
                hub,
                Rooms(redis, settings, hub.notices),
                Reads(redis, hub.notices),
            )
            hub.start()
            if close_sockets_on_sigterm:
                shutdown.close_sockets_on_sigterm(hub)
            log.info(
                "worker ready",
                extra={"redis": redis_client.describe(settings.redis_url), "cluster": settings.redis_cluster},
            )
            try:
                yield
            finally:
                await hub.stop()

    app = FastAPI(
        title="chat-platform API",
        version="1.0.0",
        # Served by api.py behind a session check: only register, login and health are public.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(api.router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
