"""Users (Argon2id hashes), server-side sessions behind a signed cookie, login throttling.

Usernames are unique regardless of case: Keys.USERNAMES maps each casefolded name to the one
user who has it, claimed before the user is written (the two keys may live on two shards of
a cluster). A registration interrupted between the two leaves its exact name claimed, and a
retry with that exact name completes it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from chat_backend.settings import Settings
from chat_backend.store import people
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client

log = logging.getLogger("chat_backend.accounts")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps unknown-user logins as slow as wrong-password ones.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_INDEX_BATCH = 1000


class Accounts:
    def __init__(self, redis: Client, settings: Settings, keys: Keys):
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.cookie_signer = URLSafeSerializer(settings.signing_key, salt="chat-session")

    async def register(self, username: str, password: str) -> bool:
        """False when the name is taken, in any case."""
        hashed = await asyncio.to_thread(_hasher.hash, password)
        folded = username.casefold()
        claimed = await self.redis.hsetnx(self.keys.USERNAMES, folded, username)
        if not claimed and await self.redis.hget(self.keys.USERNAMES, folded) != username:
            return False
        if not await self.redis.set(self.keys.user(username), hashed, nx=True):
            return False
        await self.redis.zadd(self.keys.PEOPLE, {people.entry(username, username): 0})
        return True

    async def canonical(self, names: list[str]) -> list[str | None]:
        """The user each name stands for, in any case; None for none."""
        if not names:
            return []
        folded = [name.casefold() for name in names]
        return cast(list[str | None], await self.redis.hmget(self.keys.USERNAMES, folded))

    async def index_usernames(self) -> None:
        """Users registered before names were unique regardless of case get their casefolded
        name and their entry in the people directory, once per store: of case-variants the
        first indexed keeps the name (the others still log in by their exact names; nobody new
        can take any variant)."""
        if await self.redis.exists(self.keys.USERNAMES_INDEXED):
            return
        prefix, batch = self.keys.user(""), []
        async for key in self.redis.scan_iter(match=f"{prefix}*", count=1000):
            name = str(key).removeprefix(prefix)
            if ":" not in name:  # not a user's other keys (their DMs, their rooms)
                batch.append(name)
            if len(batch) >= _INDEX_BATCH:
                await self._index(batch)
                batch = []
        await self._index(batch)
        await self.redis.set(self.keys.USERNAMES_INDEXED, 1)

    async def registered(self, usernames: list[str]) -> list[bool]:
        """Whether each name is a registered user's."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in usernames:
                pipe.exists(self.keys.user(name))
            return [bool(found) for found in await pipe.execute()]

    async def check_password(self, username: str, password: str) -> bool:
        stored = await self.redis.get(self.keys.user(username))
        try:
            return await asyncio.to_thread(_hasher.verify, stored or _DUMMY_HASH, password) and bool(stored)
        except (VerificationError, InvalidHashError):
            return False

    async def _index(self, names: list[str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hsetnx(self.keys.USERNAMES, name.casefold(), name)
                pipe.zadd(self.keys.PEOPLE, {people.entry(name, name): 0})
            claimed = (await pipe.execute())[::2]
        variants = [name for name, done in zip(names, claimed, strict=True) if not done]
        holders = await self.canonical(variants)
        for name, holder in zip(variants, holders, strict=True):
            if holder != name:
                log.warning("username differs only in case", extra={"user": name, "kept_by": holder})

    async def change_password(self, username: str, password: str) -> None:
        """The user's new password (the caller checked the current one)."""
        hashed = await asyncio.to_thread(_hasher.hash, password)
        await self.redis.set(self.keys.user(username), hashed, xx=True)

    # Sessions: a random token stored in Redis (so logout really revokes it), signed in the
    # cookie; each user's are listed (Keys.user_sessions), at most MAX_SESSIONS_PER_USER.
    async def new_session(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        max_age = self.settings.session_max_age
        now = time.time()
        listed = self.keys.user_sessions(username)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.session(token), username, ex=max_age)
            pipe.zremrangebyscore(listed, "-inf", now)  # expired by themselves
            pipe.zadd(listed, {token: now + max_age})
            pipe.expire(listed, max_age)
            pipe.zcard(listed)
            held = int((await pipe.execute())[-1])
        excess = held - self.settings.max_sessions_per_user
        if excess > 0:
            oldest = cast(list[tuple[str, float]], await self.redis.zpopmin(listed, excess))
            await self.redis.delete(*(self.keys.session(old) for old, _ in oldest))
        return str(self.cookie_signer.dumps(token))

    def session_token(self, cookie: str | None) -> str | None:
        """The session token a cookie carries, if it is one this server signed."""
        if not cookie:
            return None
        try:
            token = self.cookie_signer.loads(cookie)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    async def session_user(self, cookie: str | None) -> str | None:
        token = self.session_token(cookie)
        if token is None:
            return None
        user = await self.redis.get(self.keys.session(token))
        return str(user) if user else None

    async def end_session(self, cookie: str | None) -> None:
        token = self.session_token(cookie)
        if token is not None:
            await self.redis.delete(self.keys.session(token))

    async def end_sessions(self, user: str, keep: str | None = None) -> list[str]:
        """Ends every session of the user but `keep` (a session token, or None: all); the
        tokens ended."""
        listed = self.keys.user_sessions(user)
        tokens = [token for token in cast(list[str], await self.redis.zrange(listed, 0, -1)) if token != keep]
        if tokens:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(listed, *tokens)
                for token in tokens:
                    pipe.delete(self.keys.session(token))
                await pipe.execute()
        return tokens

    # Login throttling: failures counted per username and per client IP, in Redis so
    # every replica sees the same counts.
    async def login_throttled(self, username: str, ip: str) -> int:
        """Seconds to wait before trying again, or 0."""
        user_key, ip_key = self.keys.login_failures_user(username), self.keys.login_failures_ip(ip)
        async with self.redis.pipeline(transaction=False) as pipe:
            for command in (pipe.get, pipe.ttl):
                command(user_key)
                command(ip_key)
            user_fails, ip_fails, user_ttl, ip_ttl = await pipe.execute()
        waits = []
        if int(user_fails or 0) >= self.settings.login_max_failures_per_user:
            waits.append(int(user_ttl))
        if int(ip_fails or 0) >= self.settings.login_max_failures_per_ip:
            waits.append(int(ip_ttl))
        return max([w for w in waits if w > 0] or [1]) if waits else 0

    async def record_login_failure(self, username: str, ip: str) -> None:
        window = self.settings.login_throttle_window
        # The window is set before the count, so a counter never lives without its expiry, and no
        # transaction is needed (the two keys may live on two shards of a cluster).
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in (self.keys.login_failures_user(username), self.keys.login_failures_ip(ip)):
                pipe.set(key, 0, ex=window, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def clear_login_failures(self, username: str) -> None:
        await self.redis.delete(self.keys.login_failures_user(username))
