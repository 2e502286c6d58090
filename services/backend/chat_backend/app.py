"""The ASGI application: where the layers are put together (store, then realtime on it, then
the HTTP routes on both) for the lifetime of one worker process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from chat_backend import logs
from chat_backend.archive.archiver import Archiver
from chat_backend.archive.database import Database
from chat_backend.archive.history import History
from chat_backend.archive.reactions import ReactionHistory
from chat_backend.archive.threads import ThreadHistory
from chat_backend.http import account, errors, memberships, people, reactions, routes, threads
from chat_backend.http.body_limit import BodyLimit
from chat_backend.http.origin_check import OriginCheck
from chat_backend.http.services import Services
from chat_backend.http.upgrade import websocket_endpoint
from chat_backend.realtime.hub import Hub
from chat_backend.realtime.sockets import Sockets
from chat_backend.settings import Settings, load_settings
from chat_backend.store import redis_client
from chat_backend.store.access import Access
from chat_backend.store.accounts import Accounts
from chat_backend.store.memberships import Memberships
from chat_backend.store.messages import Messages
from chat_backend.store.people import People
from chat_backend.store.processes import Processes
from chat_backend.store.profiles import Profiles
from chat_backend.store.reactions import Reactions
from chat_backend.store.reads import Reads
from chat_backend.store.rooms import Rooms
from chat_backend.store.socket_leases import SocketLeases
from chat_backend.store.threads import Threads

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


def create_asgi_app() -> SocketsFirst:
    """The production entry point under uvicorn (`python -m chat_backend`)."""
    return SocketsFirst(create_app())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    logs.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with redis_client.open_store(settings) as store:
            redis, keys = store.redis, store.keys
            messages = Messages(redis, settings, keys, store.shards)
            database = Database(settings) if settings.database_url else None
            archiver = Archiver(redis, keys, messages, database, settings) if database else None
            access = Access(redis, keys)
            processes = Processes(redis, settings, keys)
            # Before the hub's presence: a gone process's places are freed before its users leave lists.
            leases = SocketLeases(redis, settings, keys, processes)
            hub = Hub(redis, messages, settings, access, processes)
            accounts = Accounts(redis, settings, keys, hub.notices)
            await accounts.index_usernames()
            rooms = Rooms(redis, settings, keys, hub.notices, access)
            await rooms.index_names()
            reads = Reads(redis, keys, hub.notices)
            memberships = Memberships(messages, settings, keys, hub.notices, access)
            threads = Threads(messages, keys)
            sockets = Sockets(settings, hub, accounts, messages, access, reads, threads)
            reactions = Reactions(messages, settings, keys)
            history = History(messages, database)
            app.state.services = Services(
                settings,
                redis,
                accounts,
                messages,
                rooms,
                reads,
                sockets,
                access,
                memberships,
                People(redis, keys),
                Profiles(redis, keys),
                reactions,
                threads,
                leases,
                history,
                ThreadHistory(history, threads),
                ReactionHistory(history, reactions),
                database,
            )
            hub.start()
            processes.start()
            if database and archiver:
                await database.open()
                archiver.start()
            else:
                log.warning(
                    "no DATABASE_URL: each room keeps only its newest HISTORY_LIMIT entries, no search"
                )
            log.info(
                "worker ready",
                extra={"redis": redis_client.describe(settings.redis_url), "cluster": settings.redis_cluster},
            )
            try:
                yield
            finally:
                await processes.stop()
                await hub.stop()
                messages.close()
                if database and archiver:
                    await archiver.stop()
                    await database.close()
                accounts.passwords.close()

    app = FastAPI(
        title="chat-platform API",
        version="1.0.0",
        # Served by http/routes.py behind a session check: only register, login and health are public.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(memberships.router)
    app.include_router(people.router)
    app.include_router(account.router)
    app.include_router(reactions.router)
    app.include_router(threads.router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(OriginCheck, allowed_origins=settings.allowed_origins)  # outermost: before the body
    return app
