"""Logins and registrations under abuse: attempts counted and checked in one step per name and
address, per address and per name; registrations per address; password hashes bounded per
worker (docs/security.md)."""

from __future__ import annotations

import asyncio

import httpx
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from chatkit import PASSWORD, unique
from conftest import KEYS, StartBackend, Store, store_client


def _as_from(address: str) -> dict[str, str]:
    """What the proxy in front appends: the address it was connected from."""
    return {"X-Forwarded-For": address}


async def _login(http: httpx.AsyncClient, username: str, password: str, address: str) -> httpx.Response:
    return await http.post(
        "/api/login", json={"username": username, "password": password}, headers=_as_from(address)
    )


async def test_concurrent_wrong_passwords_cannot_all_slip_under_the_ceiling(
    start_backend: StartBackend,
) -> None:
    server = start_backend(workers=2)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        victim = unique("victim")
        await http.post("/api/register", json={"username": victim, "password": PASSWORD})
        replies = await asyncio.gather(
            *(_login(http, victim, "not-the-password", "10.1.0.1") for _ in range(40))
        )
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [401] * 5 + [429] * 35, statuses


async def test_a_stranger_cannot_lock_anyone_out(start_backend: StartBackend) -> None:
    server = start_backend(LOGIN_MAX_FAILURES_PER_IP="20", LOGIN_MAX_FAILURES_PER_USER="8")
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        victim = unique("victim")
        await http.post("/api/register", json={"username": victim, "password": PASSWORD})
        # Per name and address: the stranger's sixth try waits, the victim elsewhere does not.
        strays = [await _login(http, victim, "not-the-password", "10.2.0.66") for _ in range(6)]
        assert [reply.status_code for reply in strays] == [401] * 5 + [429]
        assert int(strays[-1].headers["retry-after"]) > 0
        assert strays[-1].json()["error"] == "too_many_attempts"
        assert (await _login(http, victim, PASSWORD, "10.2.0.7")).status_code == 200
        # Per address: one address trying many names stops at 20 attempts.
        sprayed = [await _login(http, unique("nobody"), "not-the-password", "10.2.0.99") for _ in range(21)]
        assert [reply.status_code for reply in sprayed] == [401] * 20 + [429]
        # Per name, from anywhere: the gentler ceiling (8 here, 100 by default) still holds.
        spread = [await _login(http, victim, "not-the-password", f"10.3.0.{n}") for n in range(9)]
        # The stranger's five failures count for the name too: three more reach its 8.
        assert [reply.status_code for reply in spread] == [401] * 3 + [429] * 6
        # A right password gives its attempt back: the victim's own logins never use it up.
        other = unique("regular")
        await http.post("/api/register", json={"username": other, "password": PASSWORD})
        for _ in range(10):
            assert (await _login(http, other, PASSWORD, "10.4.0.1")).status_code == 200


async def test_registrations_per_address(start_backend: StartBackend) -> None:
    server = start_backend(REGISTRATIONS_PER_IP="3")
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

        async def register(address: str) -> httpx.Response:
            body = {"username": unique("new"), "password": PASSWORD}
            return await http.post("/api/register", json=body, headers=_as_from(address))

        replies = await asyncio.gather(*(register("10.5.0.1") for _ in range(8)))
        assert sorted(reply.status_code for reply in replies) == [201] * 3 + [429] * 5
        refused = next(reply for reply in replies if reply.status_code == 429)
        assert refused.json()["error"] == "too_many_registrations"
        assert int(refused.headers["retry-after"]) > 0
        assert (await register("10.5.0.2")).status_code == 201


async def test_hashes_beyond_the_budget_wait_or_are_refused_busy(start_backend: StartBackend) -> None:
    # One hash at a time (19 MiB), one more waiting: of 12 at once most are told to retry.
    server = start_backend(workers=1, PASSWORD_HASH_MEMORY_MIB="19", PASSWORD_HASH_QUEUE="1")
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        replies = await asyncio.gather(
            *(_login(http, unique("nobody"), "not-the-password", f"10.6.0.{n}") for n in range(12))
        )
        statuses = sorted(reply.status_code for reply in replies)
        assert set(statuses) == {401, 503}, statuses
        busy = next(reply for reply in replies if reply.status_code == 503)
        assert busy.json()["error"] == "server_busy"
        assert busy.headers["retry-after"] == "1"


async def test_a_hash_with_older_parameters_verifies_and_is_rehashed(
    start_backend: StartBackend, redis_server: Store
) -> None:
    server = start_backend()
    name = unique("old")
    older = PasswordHasher(memory_cost=64 * 1024, time_cost=3, parallelism=4).hash(PASSWORD)
    store: aioredis.Redis | aioredis.RedisCluster = store_client(redis_server)
    async with store:
        await store.set(KEYS.user(name), older)
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            assert (await _login(http, name, PASSWORD, "10.7.0.1")).status_code == 200
            assert (await _login(http, name, "not-the-password", "10.7.0.1")).status_code == 401
        rehashed = await store.get(KEYS.user(name))
    assert rehashed != older
    assert "m=19456,t=2,p=1" in rehashed
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        assert (await _login(http, name, PASSWORD, "10.7.0.1")).status_code == 200


async def test_the_proxys_entry_counts_not_what_the_client_wrote(
    start_backend: StartBackend, redis_server: Store
) -> None:
    # The client writes addresses of its own to the left of the one the proxy appends.
    server = start_backend(LOGIN_MAX_FAILURES_PER_IP="3")
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        statuses = [
            (await _login(http, unique("nobody"), "not-the-password", f"10.8.{n}.1, 10.9.0.1")).status_code
            for n in range(4)
        ]
        assert statuses == [401] * 3 + [429]
    # With no proxy in front (TRUSTED_PROXY_HOPS=0) the header counts for nothing at all: every
    # attempt is the peer's, 127.0.0.1 (whose count other tests' logins left behind is reset).
    async with store_client(redis_server) as store:
        await store.delete(KEYS.throttle("login:ip", "127.0.0.1"))
    direct = start_backend(LOGIN_MAX_FAILURES_PER_IP="3", TRUSTED_PROXY_HOPS="0")
    async with httpx.AsyncClient(base_url=direct.url, timeout=60) as http:
        statuses = [
            (await _login(http, unique("nobody"), "not-the-password", f"10.10.{n}.1")).status_code
            for n in range(4)
        ]
        assert statuses == [401] * 3 + [429]
