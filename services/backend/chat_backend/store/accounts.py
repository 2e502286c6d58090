"""Users (Argon2id hashes: passwords.py), server-side sessions behind a signed cookie, and the
ceilings on logins and registrations (quotas.py)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import cast

from itsdangerous import BadSignature, URLSafeSerializer

from chat_backend.settings import Settings
from chat_backend.store.keys import Keys
from chat_backend.store.notifier import Notifier
from chat_backend.store.passwords import Passwords
from chat_backend.store.quotas import Quotas
from chat_backend.store.redis_client import Client

REGISTRATION_WINDOW = 3600  # seconds: REGISTRATIONS_PER_IP is per hour


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
        """True once registered; False when the name is taken; an int: the address registered
        REGISTRATIONS_PER_IP accounts this hour, retry in that many seconds."""
        key = self.keys.throttle("register:ip", ip)
        wait = await self.quotas.take([(key, self.settings.registrations_per_ip)], REGISTRATION_WINDOW)
        if wait:
            return wait
        hashed = await self.passwords.hash(password)
        return bool(await self.redis.set(self.keys.user(username), hashed, nx=True))

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

    # Sessions: a random token stored in Redis (so ending it really revokes it), signed in the
    # cookie, and listed per user so all of a user's sessions can be ended.
    async def new_session(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        max_age = self.settings.session_max_age
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.session(token), username, ex=max_age)
            pipe.zremrangebyscore(self.keys.user_sessions(username), "-inf", now)  # the expired
            pipe.zadd(self.keys.user_sessions(username), {token: now + max_age})
            pipe.expire(self.keys.user_sessions(username), max_age)
            await pipe.execute()
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
