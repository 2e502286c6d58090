"""Password hashes (Argon2id at OWASP's floor: 19 MiB, 2 passes, 1 lane), at most
PASSWORD_HASH_MEMORY_MIB of them at once per worker: every hash holds its memory while it runs,
so unbounded concurrent logins could drive a pod past its memory limit. Up to PASSWORD_HASH_QUEUE
more wait their turn; beyond that, `ServerBusyError` (the caller answers 503, retry)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chat_backend.settings import Settings

HASH_MEMORY_KIB = 19 * 1024
HASH_TIME_COST = 2
T = TypeVar("T")


class ServerBusyError(Exception):
    """More hashes are running and waiting than this worker takes on."""


class Passwords:
    def __init__(self, settings: Settings):
        self.hasher = PasswordHasher(memory_cost=HASH_MEMORY_KIB, time_cost=HASH_TIME_COST, parallelism=1)
        self.slots = max(settings.password_hash_memory_mib * 1024 // HASH_MEMORY_KIB, 1)
        # Threads of their own: each hash's memory is held by one of `slots` threads, no more.
        self._pool = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="password-hash")
        self._admitted = 0
        self._max_admitted = self.slots + settings.password_hash_queue
        # Verified against for unknown users: their logins take as long as wrong passwords.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await self._run(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, str | None]:
        """Whether `password` matches the stored hash (never for None), and a new hash to
        store when the stored one has other parameters than today's."""

        def check() -> tuple[bool, str | None]:
            try:
                self.hasher.verify(stored or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False, None
            if stored is None:
                return False, None
            return True, self.hasher.hash(password) if self.hasher.check_needs_rehash(stored) else None

        return await self._run(check)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        if self._admitted >= self._max_admitted:
            raise ServerBusyError
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)
        finally:
            self._admitted -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
