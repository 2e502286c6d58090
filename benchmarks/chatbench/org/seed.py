"""The benchmark's fast path into the backend: people, their sessions, rooms, memberships and
DMs written straight into the run's Redis through the backend's own store classes, as
registration, login and the rooms API write them. What it skips: the HTTP requests (and with
them the per-address ceilings) and an Argon2id hash per person — every seeded person shares one
hash, computed once — so 5,000 people take seconds, not minutes of hashing. No socket is open
while it runs, so the notices the store would send reach nobody and are dropped."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Iterable
from typing import TypeVar

from chat_backend.http.services import SESSION_COOKIE
from chat_backend.protocol import ServerFrame
from chat_backend.settings import Settings
from chat_backend.store.access import Access, dm_members
from chat_backend.store.accounts import Accounts
from chat_backend.store.memberships import Memberships
from chat_backend.store.messages import Messages
from chat_backend.store.passwords import Passwords
from chat_backend.store.redis_client import open_store
from chat_backend.store.rooms import Rooms

from chatbench.org.plan import Layout, person

PASSWORD = secrets.token_urlsafe(16)
IN_FLIGHT = 64  # store calls at once: enough to hide the round trips
T = TypeVar("T")


class _Nobody:
    """The store's Notifier while no socket is open."""

    async def to_users(self, users: Iterable[str], frame: ServerFrame) -> None:
        return None

    async def to_everyone(self, frame: ServerFrame) -> None:
        return None

    async def removed(self, user: str, room: str) -> None:
        return None

    async def end_sessions(self, user: str, session_ids: list[str]) -> None:
        return None


class _OneHash(Passwords):
    """Registration's own code, with one Argon2id hash of PASSWORD for everyone."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self._one = self.hasher.hash(PASSWORD)

    async def hash(self, password: str) -> str:
        return self._one


async def _all(calls: Iterable[Awaitable[T]]) -> list[T]:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return list(await asyncio.gather(*(one(call) for call in calls)))


async def seed(settings: Settings, plan: Layout) -> list[str]:
    """Every person of the layout registered, in their rooms and DMs, with a session; the
    Cookie header of each (by person)."""
    async with open_store(settings) as store:
        redis, keys, nobody = store.redis, store.keys, _Nobody()
        access = Access(redis, keys)
        accounts = Accounts(redis, settings, keys, nobody)
        accounts.passwords.close()
        accounts.passwords = _OneHash(settings)
        rooms = Rooms(redis, settings, keys, nobody, access)
        messages = Messages(redis, settings, keys, store.shards)
        memberships = Memberships(messages, settings, keys, nobody, access)
        names = [person(index) for index in range(plan.people)]
        try:
            assert all(await _all(accounts.register(name, PASSWORD, "127.0.0.1") for name in names))
            cookies = await _all(accounts.new_session(name) for name in names)
        finally:
            accounts.passwords.close()
        groups = [c for c in plan.conversations if dm_members(c.name) is None]
        dms = [c for c in plan.conversations if dm_members(c.name) is not None]
        assert set(await _all(rooms.create(c.name, names[c.members[0]]) for c in groups)) == {"created"}
        await _all(memberships.join(c.name, names[c.members[0]], founding=True) for c in groups)
        await _all(memberships.join(c.name, names[m]) for c in groups for m in c.members[1:])
        await _all(rooms.open_dm(names[c.members[0]], [names[m] for m in c.members]) for c in dms)
    return [f"{SESSION_COOKIE}={cookie}" for cookie in cookies]
