"""Users (Argon2id hashes: passwords.py), server-side sessions behind a signed cookie, and the
ceilings on logins and registrations (quotas.py).

Usernames are unique regardless of case: Keys.USERNAMES maps each casefolded name to the one
user who has it, claimed before the user is written (the two keys may live on two shards of
a cluster). A registration interrupted between the two leaves its exact name claimed, and a
retry with that exact name completes it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import cast

from itsdangerous import BadSignature, URLSafeSerializer

from chat_backend.settings import Settings
from chat_backend.store import people
from chat_backend.store.keys import Keys
from chat_backend.store.notifier import Notifier
from chat_backend.store.passwords import Passwords
from chat_backend.store.quotas import Quotas
from chat_backend.store.redis_client import Client

log = logging.getLogger("chat_backend.accounts")
REGISTRATION_WINDOW = 3600  # seconds: REGISTRATIONS_PER_IP is per hour
_INDEX_BATCH = 1000


@dataclass(frozen=True)
class Session:
    user: str
    id: str  # names the session in notices and to other code; never the cookie's secret token
    expires_at: float  # Unix time


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class Accounts:
    def __init__(self, redis: Client, settings: Settings, keys: Keys, notices: Notifier):
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.notices = notices
        self.passwords = Passwords(settings)
        self.quotas = Quotas(redis)
        self.cookie_signer = URLSafeSerializer(settings.signing_key, salt="chat-session")

    async def register(self, username: str, password: str, ip: str) -> bool | int:
        """True once registered; False when the name is taken, in any case; an int: the address
        registered REGISTRATIONS_PER_IP accounts this hour, retry in that many seconds."""
        key = self.keys.throttle("register:ip", ip)
        wait = await self.quotas.take([(key, self.settings.registrations_per_ip)], REGISTRATION_WINDOW)
        if wait:
            return wait
        hashed = await self.passwords.hash(password)
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

    async def log_in(self, username: str, password: str, ip: str) -> bool | int:
        """True when the password is right; False when not; an int: too many attempts, retry
        in that many seconds. Each attempt is counted before the password is checked, in one
        step with the check of the ceilings (per name and address, per address, per name), so
        concurrent attempts cannot all pass; a right password gives its attempt back."""
        settings = self.settings
        counters = [
            (self.keys.throttle("login:user-ip", username, ip), settings.login_max_failures_per_user_ip),
            (self.keys.throttle("login:ip", ip), settings.login_max_failures_per_ip),
            (self.keys.throttle("login:user", username), settings.login_max_failures_per_user),
        ]
        wait = await self.quotas.take(counters, settings.login_throttle_window)
        if wait:
            return wait
        stored = cast(str | None, await self.redis.get(self.keys.user(username)))
        right, rehashed = await self.passwords.verify(stored, password)
        if not right:
            return False
        if rehashed is not None:  # stored with older parameters: today's from now on
            await self.redis.set(self.keys.user(username), rehashed, xx=True)
        await self.quotas.give_back([key for key, _ in counters], reset=1)
        return True

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
        hashed = await self.passwords.hash(password)
        await self.redis.set(self.keys.user(username), hashed, xx=True)

    # Sessions: a random token stored in Redis (so ending it really revokes it), signed in the
    # cookie, and listed per user so all can be ended; at most MAX_SESSIONS_PER_USER each.
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
            oldest = [
                old for old, _ in cast(list[tuple[str, float]], await self.redis.zpopmin(listed, excess))
            ]
            await self.redis.delete(*(self.keys.session(old) for old in oldest))
            await self.notices.end_sessions(username, [session_id(old) for old in oldest])
        return str(self.cookie_signer.dumps(token))

    def _token(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            token = self.cookie_signer.loads(cookie)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    async def session(self, cookie: str | None) -> Session | None:
        """The live session the cookie names, or None."""
        token = self._token(cookie)
        if token is None:
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.keys.session(token))
            pipe.ttl(self.keys.session(token))
            user, ttl = await pipe.execute()
        if not user or int(ttl) <= 0:
            return None
        return Session(str(user), session_id(token), time.time() + int(ttl))

    async def session_user(self, cookie: str | None) -> str | None:
        found = await self.session(cookie)
        return found.user if found else None

    async def end_sessions(self, user: str, *, only: str | None = None, keep: str | None = None) -> int:
        """Ends `user`'s sessions (all of them; with `only`, that one; with `keep`, all but
        that one: session ids) and closes their open WebSockets on every replica at once
        (close code 4401). Returns how many sessions ended."""
        sessions_key = self.keys.user_sessions(user)
        tokens = cast(list[str], await self.redis.zrange(sessions_key, 0, -1))
        ended = {
            session_id(token): token
            for token in tokens
            if (only is None or session_id(token) == only) and session_id(token) != keep
        }
        if ended:
            async with self.redis.pipeline(transaction=False) as pipe:
                for token in ended.values():
                    pipe.delete(self.keys.session(token))
                pipe.zrem(sessions_key, *ended.values())
                await pipe.execute()
            await self.notices.end_sessions(user, list(ended))
        return len(ended)

    async def log_out(self, cookie: str | None) -> None:
        """Ends the cookie's session, if it is one, and closes its sockets."""
        token = self._token(cookie)
        user = await self.redis.getdel(self.keys.session(token)) if token else None
        if token and user:
            await self.redis.zrem(self.keys.user_sessions(str(user)), token)
            await self.notices.end_sessions(str(user), [session_id(token)])
