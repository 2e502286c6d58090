"""The connection pool to PostgreSQL (DATABASE_URL, DATABASE_PASSWORD), and what its failures
mean to callers: `ArchiveUnavailableError`, answered as 503 history_unavailable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from chat_backend.settings import Settings


class ArchiveUnavailableError(Exception):
    """PostgreSQL is down, unreachable, too slow, or not migrated yet: retry later."""


# What a query raises when the server is away or not ready, rather than for a bad query.
_AWAY = (psycopg.OperationalError, psycopg.errors.UndefinedTable, PoolTimeout)


def connection_kwargs(settings: Settings) -> dict[str, object]:
    """libpq's parameters beyond the URL: the password, and a statement timeout so a query
    stuck on a struggling server fails like an unreachable one."""
    kwargs: dict[str, object] = {"options": f"-c statement_timeout={int(settings.database_timeout * 1000)}"}
    if settings.database_password is not None:
        kwargs["password"] = settings.database_password.get_secret_value()
    return kwargs


class Database:
    def __init__(self, settings: Settings):
        assert settings.database_url is not None
        self.pool = AsyncConnectionPool(
            settings.database_url,
            kwargs=connection_kwargs(settings),
            min_size=1,
            max_size=settings.database_pool_size,
            timeout=settings.database_timeout,
            check=AsyncConnectionPool.check_connection,  # a restarted server left dead connections
            open=False,
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)  # PostgreSQL may be away at start: chat works without it

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
        """A connection in a transaction (committed at the end); `ArchiveUnavailableError` when PostgreSQL
        cannot answer."""
        try:
            async with self.pool.connection() as conn:
                yield conn
        except _AWAY as exc:
            raise ArchiveUnavailableError(f"PostgreSQL is unavailable ({type(exc).__name__})") from exc
