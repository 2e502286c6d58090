"""A session's end closes its open WebSockets at once (close code 4401), on every worker:
logout, expiry, and Accounts.end_sessions (for "log out everywhere" and password changes)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from chat_backend.protocol import CloseCode, Ping, Pong
from chat_backend.realtime.notices import Notices
from chat_backend.settings import Settings
from chat_backend.store.accounts import Accounts
from chat_backend.store.redis_client import Shards
from chatkit import PASSWORD, ChatClient
from conftest import KEYS, ORIGIN, MakeUser, StartBackend, Store, store_client
from websockets.exceptions import InvalidStatus

SESSION_ENDED = 4401


def test_the_close_code_is_the_protocols() -> None:
    assert CloseCode.SESSION_ENDED == SESSION_ENDED


async def test_logout_closes_that_sessions_sockets_on_every_worker(
    make_user: MakeUser, make_client: Callable[..., ChatClient]
) -> None:
    laptop = await make_user()
    phone = make_client()
    await phone.http.post("/api/login", json={"username": laptop.username, "password": PASSWORD})
    # New connections each: spread over both workers of the shared backend.
    laptop_tabs = [await laptop.ws() for _ in range(4)]
    phone_tab = await phone.ws()
    await phone_tab.subscribe("general")
    assert (await laptop.http.post("/api/logout")).status_code == 204
    codes = await asyncio.gather(*(tab.close_code(timeout=10) for tab in laptop_tabs))
    assert codes == [SESSION_ENDED] * 4
    # The user's other session is untouched.
    await phone_tab.send(Ping())
    await phone_tab.expect(Pong)
    assert await phone_tab.say("general", "still here")
    await phone_tab.close()


async def test_an_expired_session_closes_its_socket_when_it_expires(start_backend: StartBackend) -> None:
    server = start_backend(SESSION_MAX_AGE="3")
    client = ChatClient(server.url, ORIGIN)
    try:
        await client.register()
        sock = await client.ws()
        opened = time.monotonic()
        assert await sock.close_code(timeout=15) == SESSION_ENDED
        assert 1.5 < time.monotonic() - opened < 10
        with pytest.raises(InvalidStatus):
            await client.ws()
    finally:
        await client.aclose()


async def test_end_sessions_ends_all_but_the_kept_one_and_closes_their_sockets(
    start_backend: StartBackend, redis_server: Store
) -> None:
    secret = secrets.token_urlsafe(32)
    server = start_backend(workers=2, SESSION_SECRET=secret)
    first = ChatClient(server.url, ORIGIN)
    others = [ChatClient(server.url, ORIGIN) for _ in range(2)]
    settings = Settings(session_secret=secret, redis_url=redis_server.url)
    store = store_client(redis_server)
    try:
        await first.register()
        for other in others:
            await other.http.post("/api/login", json={"username": first.username, "password": PASSWORD})
        kept = await first.ws()
        ended = [await other.ws() for other in others for _ in range(2)]
        # What "log out everywhere else" does: the store's function, from another process here.
        shards = Shards(store, redis_server.url) if isinstance(store, aioredis.RedisCluster) else None
        notices = Notices(
            store,
            settings,
            KEYS,
            [],
            {},
            on_activity=lambda _: None,
            on_removal=lambda _: None,
            shards=shards,
        )
        accounts = Accounts(store, settings, KEYS, notices)
        session = await accounts.session(first.http.cookies["chat_session"])
        assert session is not None
        assert await accounts.end_sessions(first.username, keep=session.id) == 2
        assert await asyncio.gather(*(sock.close_code(timeout=10) for sock in ended)) == [SESSION_ENDED] * 4
        for other in others:
            assert (await other.http.get("/api/me")).status_code == 401
        await kept.send(Ping())
        await kept.expect(Pong)
        assert (await first.http.get("/api/me")).status_code == 200
        assert await accounts.end_sessions(first.username) == 1
        assert await kept.close_code(timeout=10) == SESSION_ENDED
        accounts.passwords.close()
    finally:
        await store.aclose()
        for client in (first, *others):
            await client.aclose()
